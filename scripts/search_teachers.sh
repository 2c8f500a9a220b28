#!/usr/bin/env bash
# Measure candidate teachers against the renderer's truth on CPU (issue 15): each row is
# one `latentroom toyfaces evaluate-direction` call (the direction's generator path through
# the encoder, blended into a region as `author --region` does; --inverted-truth adds
# the truth as the encoder sees it, a reference), its figures written
# to $OUT/NAME.json and its contact sheet to $OUT/NAME.png; $OUT/search.log holds every
# command and its output.
#
#   IMAGES=64 OUT=out/teachers bash scripts/search_teachers.sh [ROW-NAME-PREFIX]
#
# Candidates: the shipped directions (shipped/NAME) and directions read off the truth
# (found/NAME: `latentroom direction find inverted-truth`, made here into $OUT/found/).
# Rows: name, direction, region options for `latentroom toyfaces region`, strengths.
set -u
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-64}
OUT=${OUT:-out/teachers}
AMOUNT_SAMPLES=${AMOUNT_SAMPLES:-32}
ONLY=${1:-}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$OUT/regions" "$OUT/found"
found=(
  "glasses-truth-coarse glasses coarse"
  "beard-truth-coarse beard coarse"
  "smile-truth-0-7 smile 0-7"
  "hair_length-truth-coarse hair_length coarse"
)
rows=(
  "glasses               shipped/glasses                            share=0.01,grow=0,feather=2  2,3,4"
  "glasses-truth         found/glasses-truth-coarse                 share=0.01,grow=0,feather=2  1.5,2"
  "beard                 shipped/beard-keep-hair_length-by-response share=0.01,grow=0,feather=2  3,4"
  "beard-truth           found/beard-truth-coarse                   share=0.01,grow=0,feather=2  1.5,2"
  "beard-truth-hard      found/beard-truth-coarse                   share=0.01,grow=0,feather=0  2.5"
  "beard-truth-hard3     found/beard-truth-coarse                   share=0.01,grow=0,feather=0  3"
  "smile                 shipped/smile                              share=0.01,grow=0,feather=2  6"
  "smile-grow3           shipped/smile                              share=0.01,grow=3,feather=2  6"
  "smile-truth           found/smile-truth-0-7                      share=0.01,grow=0,feather=2  1,2"
  "hair_length           shipped/hair_length                        share=0.01,grow=0,feather=2  8"
  "hair_length-hard      shipped/hair_length                        share=0.05,grow=0,feather=0  8"
  "hair_length-truth     found/hair_length-truth-coarse             share=0.05,grow=0,feather=0  1,2"
)
for row in "${found[@]}"; do
    read -r name attribute layers <<<"$row"
    [[ -f "$OUT/found/$name.json" ]] && continue
    cmd=(latentroom direction find inverted-truth -a "$attribute" --layers "$layers" --samples 1000
         --strength-range -3 3 --device cpu -o "$OUT/found/$name.json")
    echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$OUT/search.log"
    "${cmd[@]}" >> "$OUT/search.log" 2>&1
done
for row in "${rows[@]}"; do
    read -r name direction region strengths <<<"$row"
    [[ -n "$ONLY" && "$name" != "$ONLY"* ]] && continue
    file="plugins/directions/$direction.json"
    [[ "$direction" == found/* ]] && file="$OUT/$direction.json"
    attribute=$(python -c "import json,sys; print(json.load(open(sys.argv[1]))['attribute'])" "$file")
    IFS=, read -r share grow feather <<<"$(sed -E 's/[a-z_]+=//g' <<<"$region")"
    mask="$OUT/regions/$attribute-$share-$grow-$feather.png"
    latentroom toyfaces region "$attribute" --share "$share" --grow "$grow" --feather "$feather" -o "$mask" >/dev/null
    cmd=(latentroom toyfaces evaluate-direction "$file" --region "$mask" --images "$IMAGES"
         --amount-samples "$AMOUNT_SAMPLES" --device cpu --inverted-truth --sheet "$OUT/$name.png" --json "$OUT/$name.json")
    for s in ${strengths//,/ }; do cmd+=(--strength "$s"); done
    echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$OUT/search.log"
    "${cmd[@]}" >> "$OUT/search.log" 2>&1
done
