#!/usr/bin/env bash
# Session 41: glasses' pairs found again (seeded: the shipped glasses-pairs direction),
# then the bundled glasses row alone with the painting head (author --head paint) in
# place of the 2x2 transposed conv, authored under the bundled name so that a better
# student can ship at once. The painting head replaces the pixel term, so the row drops
# --pixel-loss relative; the jitter, the range and the default are the bundled row's.
# The bundled rings are single but softer and thicker than the truth's; a hardened
# coverage paints each pixel all or nothing (session 40: crisp edges on hair_length).
# From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session41-device-2026-12-06/glasses-paint-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
ROW="glasses glasses-pairs x1 x1 - --jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3,--head,paint" \
    INVERTER_OPTIONS="lr=0.02" CEILING_IMAGES=0 ATTRIBUTE=glasses FACES=4000 \
    LIMIT=${LIMIT:-420} EXPORT_SECONDS=${EXPORT_SECONDS:-150} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
