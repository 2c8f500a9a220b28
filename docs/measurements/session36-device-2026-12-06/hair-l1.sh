#!/usr/bin/env bash
# Session 36, device call 3: the bundled hair_length row with the absolute error from 0.6
# of the budget (author --l1-start 0.6), which gave beard an opaque fill without
# hatching (session 31/35): does it take the streaks out of the longer hair? Authored
# under the bundled name into its own folder. From the repository root:
#   RESULTS=/tmp/o BUDGET=300 bash docs/measurements/session36-device-2026-12-06/hair-l1.sh
set -u
source presets/_authoring/device-setup.sh
set +e
RESULTS=${RESULTS:-/tmp/o}
ROW="hair_length hair_length -12,12 8 --share=0.2,--feather=0 --jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3,--head,flatten,--l1-start,0.6" \
    ONLY=hair_length BUDGET=${BUDGET:-300} LOGS=$RESULTS/logs PRESETS=$RESULTS/presets bash scripts/author_presets.sh
echo "author rc $?"
tail -n 3 "$RESULTS/logs/hair_length.log"
