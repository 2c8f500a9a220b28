#!/usr/bin/env bash
# Session 49: hair_length's pairs as call B made them (the find alone, 2,500 faces), then
# scripts/hair_pairs_past_truth.py on them: how many pixels each face's target draws past
# the truth inside the bundled row's region, and sheets of the most, median and least.
# About 180 s after the start. From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session49-device-2026-12-07/hair-past-truth-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
OUT=${RESULTS:-/tmp/o}
mkdir -p "$OUT/logs" /tmp/pairs
latentroom direction find inverted-truth -a hair_length --layers all --samples 2500 --param inverter=hybrid \
    --param inverter_batch=256 --param 'inverter_options={}' --param pairs=/tmp/pairs/hair_length-pairs.npz \
    --device cuda -o "$OUT/hair_length-pairs.json" > "$OUT/logs/find.log" 2>&1 || { tail "$OUT/logs/find.log"; exit 1; }
latentroom toyfaces region hair_length --share=0.2 --feather=0 -o "$OUT/region.png"
python3 docs/measurements/session49-device-2026-12-07/scripts/hair_pairs_past_truth.py /tmp/pairs/hair_length-pairs.npz \
    "$OUT/region.png" "$OUT" 2>&1 | tee "$OUT/logs/past.log"
