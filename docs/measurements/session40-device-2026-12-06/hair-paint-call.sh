#!/usr/bin/env bash
# Session 40, device call 3: the bundled hair_length row with the painting head (author
# --head paint: a hardened coverage and a colour, each taught on its own) in place of the
# smoothed flattening head. Alone on the GPU, as the shipped row trained (session 39,
# call 2); it ran with BUDGET=360, what two failed starts had left. Authored under the
# bundled name. The tail's --feature-weight 0 repeats what author_presets.sh passes for
# every row (FEATURE_WEIGHT=0): no perceptual term, as on the CPU bank
# (scripts/matte_bank_train.py). From the repository root:
#   RESULTS=/tmp/o BUDGET=360 bash docs/measurements/session40-device-2026-12-06/hair-paint-call.sh
NAME=hair_length ROW_TAIL=--head,paint,--feature-weight,0 BUDGET=${BUDGET:-360} \
    bash docs/measurements/session33-device-2026-12-05/hair-row.sh
