#!/usr/bin/env bash
# Session 33: the bundled hair_length row with the flattening head (author --head
# flatten), BUDGET seconds of training. Alone on the GPU with too little device time for
# flatten-rows.sh, 250 s; flatten-rows.sh runs it with 330 s beside beard's row, as the
# bundled one trained (330 s beside a find and another row, 4,885 steps). Compare with the
# bundled preset: figures through apply (500 renders) and the sheet. NAME and ROW_TAIL
# (added in session 36; defaults as it ran) name the row's preset and its last author
# options. From the repository root:
#   BUDGET=250 bash docs/measurements/session33-device-2026-12-05/hair-row.sh
set -u
source presets/_authoring/device-setup.sh
set +e
RESULTS=${RESULTS:-/tmp/o}
NAME=${NAME:-hair_length-flatten}
ROW="$NAME hair_length -12,12 8 --share=0.2,--feather=0 --jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3,${ROW_TAIL:---head,flatten}" \
    ONLY=hair_length BUDGET=${BUDGET:-250} LOGS=$RESULTS/logs PRESETS=$RESULTS/presets bash scripts/author_presets.sh
echo "author rc $?"
tail -n 3 "$RESULTS/logs/$NAME.log"
