#!/usr/bin/env bash
# Written in session 40 for the next session (no device time left to run it): beard's
# pairs found again, then the bundled beard row alone with the painting head (author
# --head paint) in place of the smoothed flattening head, authored under the bundled name
# so that a better student can ship at once. The painting head replaces the pixel term,
# so the row drops --pixel-loss relative and --l1-start 0.6; everything else (the range,
# the latent partial edits, the jitter, --keep-mouth, LIMIT and EXPORT_SECONDS) is
# session 39's shipped run (session38-device-2026-12-06/beard-smooth-call.sh). Compare with
# the shipped beard by its figures through apply, session 36's mouth_error.py and the
# sheets (its soft edge past the jaw is what the head is for). From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session40-device-2026-12-06/beard-paint-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
J=--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="beard beard-pairs x1.75 x1.5 --feather=0 $J,--partial-edit,latent,--head,paint,--keep-mouth" \
    INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 \
    LIMIT=${LIMIT:-570} EXPORT_SECONDS=${EXPORT_SECONDS:-118} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
