#!/usr/bin/env bash
# Author the bundled presets (presets/NAME), all five side by side on one GPU, each
# from a local teacher: the direction's edit kept inside the attribute's region
# (`latentroom toyfaces region`), evaluated against the renderer's truth with the
# independent judge (plugins/toyfaces/weights/judge.pt must exist: train it first
# with `python -m latentroom.plugins.toyfaces.train_classifier --arch judge --seed 1 ...`).
#
#   BUDGET=300 bash scripts/author_presets.sh
#
# Each run trains for BUDGET seconds (the learning rate anneals against it), then
# exports, evaluates and writes $PRESETS/NAME, its log $LOGS/NAME.log and its
# contact sheet $LOGS/NAME-sheet.png.
set -u
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-300}
BATCH=${BATCH:-256}
DEVICE=${DEVICE:-auto}
LOGS=${LOGS:-out/author-logs}
PRESETS=${PRESETS:-presets}
ADVERSARIAL=${ADVERSARIAL:-0}
mkdir -p "$LOGS" "$LOGS/regions"
# name, direction file, strength range, default strength: inside each direction's
# measured realistic range where it has one (docs/directions.md), beard conditioned
# on hair length by response so the beard does not cut the hair.
presets=(
  "smile smile -8,8 6"
  "age age -3,3 3"
  "hair_length hair_length -12,12 8"
  "glasses glasses -2,2 2"
  "beard beard-keep-hair_length-by-response -2,2 2"
)
pids=()
for row in "${presets[@]}"; do
    read -r name direction range default <<<"$row"
    attribute=${name}
    region="$LOGS/regions/$attribute.png"
    latentroom toyfaces region "$attribute" -o "$region" >/dev/null
    cmd=(latentroom author "$name" --direction "plugins/directions/shipped/$direction.json"
         --generator toyfaces --steps 1000000 --time-budget "$BUDGET" --batch-size "$BATCH" --seed 0
         --device "$DEVICE" --strength-range "$range" --default-strength "$default" --region "$region"
         --adversarial-weight "$ADVERSARIAL" --inverter encoder --variants none --log-every 200
         --author latentroom --license MIT --sheet "$LOGS/$name-sheet.png" --force -o "$PRESETS/$name")
    echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$LOGS/$name.log"
    OMP_NUM_THREADS=2 "${cmd[@]}" >> "$LOGS/$name.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
