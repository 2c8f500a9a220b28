#!/usr/bin/env bash
# Session 26, device call B (one H200): beard's pairs found again, then the bundled row
# with its partial strengths faded in (the bundled beard was made with --partial-edit
# latent). Run from the repository root: LIMIT=400 bash docs/measurements/session26-h200-2026-12-05/call-b.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="beard beard-pairs x1.75 x1.5 --feather=0 $R" INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop \
    CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 LIMIT=${LIMIT:-400} EXPORT_SECONDS=100 OUT=${RESULTS:-/tmp/o} \
    bash scripts/pairs_preset.sh
