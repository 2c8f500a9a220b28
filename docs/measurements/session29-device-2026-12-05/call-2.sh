#!/usr/bin/env bash
# Session 29, device call 2: beard's pairs found again (4,000 faces, hybrid lr 0.06, the
# unread dropped: the bundled direction), then two students side by side on one budget:
#   beard          the bundled row (transposed-conv head, the relative pixel loss)
#   beard-full20   the same with the full-resolution head and the adversarial term at 2e-3
#                  (session 27's amplified weight: one mouth on the CPU bank, but a 2-pixel
#                  dot grid with the transposed head)
# Run from the repository root: LIMIT=470 bash docs/measurements/session29-device-2026-12-05/call-2.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
B="beard-pairs x1.75 x1.5 --feather=0 $R,--partial-edit,latent"
ROW="beard $B;beard-full20 $B,--head,full,--adversarial-weight,0.002" \
    INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 \
    LIMIT=${LIMIT:-470} EXPORT_SECONDS=120 OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
