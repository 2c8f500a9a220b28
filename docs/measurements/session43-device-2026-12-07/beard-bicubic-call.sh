#!/usr/bin/env bash
# Written in session 43 for the next session: the bundled beard row of
# scripts/author_presets.sh, unchanged, now that the pair jitter moves pairs bicubically
# (7a403ea; the bundled beard was jittered bilinearly, and its edge is soft and spills
# past the jaw). Beard's pairs found again first (seeded, read at the hybrid's lr 0.06,
# the unread faces dropped, as the shipped beard-pairs direction was), authored under the
# bundled name. The bundled beard trained 7,668 steps in the same LIMIT on an H100.
# From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session43-device-2026-12-07/beard-bicubic-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 \
    LIMIT=${LIMIT:-570} EXPORT_SECONDS=${EXPORT_SECONDS:-118} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
