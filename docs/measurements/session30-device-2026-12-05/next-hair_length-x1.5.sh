#!/usr/bin/env bash
# Written in session 30, not run (no device time left): hair_length from its pairs as
# session 29's call-1.sh, with the range and default at 1.5 t instead of t. At t the
# pairs' own teacher reaches 0.70 of the truth's judge change and the student 0.56
# (session 30, call 2); 1.5 t extrapolates each face's offset past the hybrid's
# reading, as beard's row does. The ceiling is skipped: call 2 measured it.
# Run from the repository root: LIMIT=560 bash docs/measurements/session30-device-2026-12-05/next-hair_length-x1.5.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="hair_length hair_length-pairs x1.5 x1.5 --share=0.2,--feather=0 $R,--partial-edit,latent" \
    ATTRIBUTE=hair_length FACES=2500 CEILING_IMAGES=0 LIMIT=${LIMIT:-560} EXPORT_SECONDS=100 \
    OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
