#!/usr/bin/env bash
# Written in session 39 for the next session (no device time left to run it): the
# bundled hair_length row (the smoothed flattening head) beside the same row with
# `author --grain-jitter 1` (each pair's finest grain, the input less its 3x3 binomial
# blur, taken off input and target by a random share), side by side on one budget. On
# a CPU bank its students drew 0.05 more of their teacher's change on renders (two
# seeds; docs/distillation.md, session 39). Compare the two by their figures through
# apply, hair_opacity.py (session 36) and the sheets. From the repository root:
#   RESULTS=/tmp/o BUDGET=400 bash docs/measurements/session39-device-2026-12-06/grain-hair-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
RESULTS=${RESULTS:-/tmp/o}
T=--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3,--head,smooth-flatten
ROW="hair_length hair_length -12,12 8 --share=0.2,--feather=0 $T;hair_length-grain hair_length -12,12 8 --share=0.2,--feather=0 $T,--grain-jitter,1" \
    ONLY=hair_length BUDGET=${BUDGET:-400} LOGS=$RESULTS/logs PRESETS=$RESULTS/presets bash scripts/author_presets.sh
echo "author rc $?"
