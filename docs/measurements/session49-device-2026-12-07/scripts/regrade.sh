#!/usr/bin/env bash
# Session 49: the continuous bundled presets graded again, on this CPU, after 8b97cdf (the
# truth matched in the judge's units), with each preset's direction and region as
# scripts/author_presets.sh authors it, and the encoder's generator path beside it.
# From the repository root: OUT=/tmp/regrade bash docs/measurements/session49-device-2026-12-07/scripts/regrade.sh
set -eu
OUT=${OUT:-/tmp/regrade}
mkdir -p "$OUT"
latentroom toyfaces region age -o "$OUT/age-region.png"
latentroom toyfaces region smile -o "$OUT/smile-region.png"
latentroom toyfaces region hair_length --share=0.2 --feather=0 -o "$OUT/hair_length-region.png"
for row in "age age" "smile smile-hybrid-enc-k128" "hair_length hair_length-pairs"; do
    read -r name direction <<<"$row"
    latentroom toyfaces evaluate "presets/$name" --direction "plugins/directions/shipped/$direction.json" \
        --region "$OUT/$name-region.png" --inverter encoder --device cpu \
        --json "$OUT/$name.json" --sheet "$OUT/$name-sheet.png" > "$OUT/$name.out" 2> "$OUT/$name.err"
done
