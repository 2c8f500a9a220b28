#!/usr/bin/env bash
# Session 31, device call 2: as session 26's call-a.sh (which made the bundled glasses),
# two pairs finds side by side, then three students sharing the GPU:
#   glasses        the bundled row, again, as the baseline on this machine and budget
#   glasses-l1     the same with the pixel term switched to the absolute error at 0.6
#                  of the budget (author --l1-start): doubled or soft rings are the
#                  squared error's average of teacher drawings it cannot tell apart
#   hair_length-l1 hair_length from its pairs (session 30's call 2) at 1.5 t, range and
#                  default (the pairs' student reached 0.56 of its truth at t), with the
#                  same switch
# Run from the repository root: LIMIT=540 bash docs/measurements/session31-device-2026-12-05/call-2.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
export CEILING_IMAGES=0 LIMIT=${LIMIT:-540} EXPORT_SECONDS=140
out=${RESULTS:-/tmp/o}
mkdir -p "$out"
ROW="glasses glasses-pairs x1 x1 - $R;glasses-l1 glasses-pairs x1 x1 - $R,--l1-start,0.6" \
    INVERTER_OPTIONS="lr=0.02" ATTRIBUTE=glasses FACES=4000 OUT=$out/g PAIRS_DIR=/tmp/pg \
    bash scripts/pairs_preset.sh > "$out/glasses.out" 2>&1 &
ROW="hair_length-l1 hair_length-pairs x1.5 x1.5 --share=0.2,--feather=0 $R,--partial-edit,latent,--l1-start,0.6" \
    ATTRIBUTE=hair_length FACES=2500 OUT=$out/h PAIRS_DIR=/tmp/ph \
    bash scripts/pairs_preset.sh > "$out/hair_length.out" 2>&1 &
wait
cat "$out"/*.out
