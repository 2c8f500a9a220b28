#!/usr/bin/env bash
# Session 31, device call 3 (issued as soon as call 2 returned, on the still-warm machine):
# call 1 again (session 30's next-beard-l1.sh: beard's pairs found again, the bundled
# beard row alone) with the pixel term switched to the absolute error at 0.35 of the
# budget instead of 0.6, so the absolute error runs about 4,500 of the 6,900 steps.
# Run from the repository root: LIMIT=520 bash docs/measurements/session31-device-2026-12-05/call-3.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="beard-l1e beard-pairs x1.75 x1.5 --feather=0 $R,--partial-edit,latent,--l1-start,0.35" \
    INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 \
    LIMIT=${LIMIT:-520} EXPORT_SECONDS=120 OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
