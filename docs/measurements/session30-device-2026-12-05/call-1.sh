#!/usr/bin/env bash
# Session 30, device call 1: beard's pairs found again (as in session 29's call-2.sh:
# 4,000 faces, hybrid lr 0.06, the unread dropped), then ONE student alone on the GPU:
# the bundled beard row with the full-resolution head and the adversarial term at 2e-3,
# switched on at 0.6 of the budget instead of 0.5. Session 29 ran this beside the
# bundled row at 0.5: the term came on at about step 300, before the edit was learned,
# and held the student at the identity. Alone, the student has roughly twice the steps,
# and the term comes on after about 1,500 of them.
# Run from the repository root: LIMIT=560 bash docs/measurements/session30-device-2026-12-05/call-1.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
B="beard-pairs x1.75 x1.5 --feather=0 $R,--partial-edit,latent"
ROW="beard-full20s6 $B,--head,full,--adversarial-weight,0.002,--adversarial-start,0.6" \
    INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 \
    LIMIT=${LIMIT:-560} EXPORT_SECONDS=120 OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
