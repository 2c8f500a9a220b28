#!/usr/bin/env bash
# Session 39, device call 3: glasses' pairs found again (seeded: the shipped
# glasses-pairs direction), then the bundled glasses row three times side by side on one
# budget, one student per head: the bundled 2x2 transposed conv (glasses), the flattening
# head (glasses-flatten: the input kept where its logit says so, which made beard and
# hair_length opaque) and the smoothed flattening head (glasses-smooth). The bundled
# rings are single but softer than the truth's, and twice the steps drew the same
# (session 37, call 3). HEADS (added after call 3 for glasses-full-call.sh; the default
# as it ran) are the heads of the students beside the bundled one, each named
# glasses-HEAD without a "-flatten" ending. From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session39-device-2026-12-06/glasses-heads-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
TAIL=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="glasses glasses-pairs x1 x1 - $TAIL"
for head in ${HEADS:-flatten smooth-flatten}; do
    ROW="$ROW;glasses-${head%-flatten} glasses-pairs x1 x1 - $TAIL,--head,$head"
done
ROW="$ROW" \
    INVERTER_OPTIONS="lr=0.02" CEILING_IMAGES=0 ATTRIBUTE=glasses FACES=4000 \
    LIMIT=${LIMIT:-420} EXPORT_SECONDS=${EXPORT_SECONDS:-150} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
