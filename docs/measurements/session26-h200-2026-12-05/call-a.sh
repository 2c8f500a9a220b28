#!/usr/bin/env bash
# Session 26, device call A (one H200): two pairs finds side by side, then three students.
#   glasses        the bundled row with the partial strengths faded in (the default since
#                  session 25; the bundled preset was made with --partial-edit latent)
#   glasses-adv    the same with the conditional adversarial term at 5e-4
#   hair_length    latent pairs of each face's own true edit (+-0.35 of the hair scale, read
#                  by the hybrid at its default lr 0.06), the bundled row's region and
#                  jitter; partial strengths along the latent path (hair grows gradually on it)
# Run from the repository root: LIMIT=548 bash docs/measurements/session26-h200-2026-12-05/call-a.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
export ROW="glasses glasses-pairs x1 x1 - $R;glasses-adv glasses-pairs x1 x1 - $R,--adversarial-weight,0.0005;hair_length hair_length-pairs x1 x1 --share=0.2,--feather=0 $R,--partial-edit,latent"
export CEILING_IMAGES=0 LIMIT=${LIMIT:-548} EXPORT_SECONDS=140
out=${RESULTS:-/tmp/o}
mkdir -p "$out"
# hair_length reads three sides of every face, glasses two: 2,500 against 4,000 faces
# keeps the two finds about as long.
INVERTER_OPTIONS="lr=0.02" ATTRIBUTE=glasses FACES=4000 OUT=$out/g PAIRS_DIR=/tmp/pg \
    bash scripts/pairs_preset.sh > "$out/glasses.out" 2>&1 &
ATTRIBUTE=hair_length FACES=2500 OUT=$out/h PAIRS_DIR=/tmp/ph \
    bash scripts/pairs_preset.sh > "$out/hair_length.out" 2>&1 &
wait
cat "$out"/*.out
