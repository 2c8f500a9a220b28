#!/usr/bin/env bash
# Session 50: hair_length's bundled row on a wider region, the pixels a true edit changes
# on at least 5% of faces (17.8% of the frame at 20%, 31.6% at 5%). The 20% region was
# chosen in session 8 against the direction's teacher, whose halo it kept out; the pairs'
# teacher draws no halo, and on session 49's twelve faces the 20% region cut off the
# truth's own new hair, leaving the targets' ragged band over the shirt
# (hair_regions.py: error to the truth's change where it moves 26.7 levels at 20%, 18.0
# at 5%; drawn past it 0.68 and 1.29 levels). Everything else as the shipped row, trained
# as long (327 s). From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session50-device-2026-12-07/hair-region-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
ROW="hair_length hair_length-pairs x1.5 x1.5 --share=${SHARE:-0.05},--feather=0 --jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3,--partial-edit,latent,--head,paint" \
    ATTRIBUTE=hair_length FACES=2500 CEILING_IMAGES=0 AUTHOR_BUDGET=${AUTHOR_BUDGET:-327} LIMIT=${LIMIT:-575} \
    EXPORT_SECONDS=${EXPORT_SECONDS:-100} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
