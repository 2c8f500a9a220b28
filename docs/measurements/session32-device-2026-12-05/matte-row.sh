#!/usr/bin/env bash
# Session 32: one bundled row with matte targets (author --matte), alone on the GPU for
# the whole call. It ran twice as WHICH=beard: call 2 at commit 519ed7e, call 1 with that
# code and the thresholds its manifest records (README); --matte was removed after
# (83e888d). WHICH picks the row:
#   beard        the bundled beard row (pairs found again as session 30's
#                next-beard-l1.sh finds them: 4,000 faces, hybrid lr 0.06, the unread
#                dropped), with --matte
#   hair_length  hair_length from its pairs (session 29's call-1.sh row, at t), with
#                --matte
# Compare with the bundled preset (beard) or session 30's pairs student (hair_length):
# figures through apply, and the sheet's fills by eye.
# Run from the repository root: WHICH=beard LIMIT=540 bash docs/measurements/session32-device-2026-12-05/matte-row.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
case "${WHICH:-beard}" in
    beard)
        ROW="beard-matte beard-pairs x1.75 x1.5 --feather=0 $R,--partial-edit,latent,--matte" \
            INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 \
            LIMIT=${LIMIT:-540} EXPORT_SECONDS=120 OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh ;;
    hair_length)
        ROW="hair_length-matte hair_length-pairs x1 x1 --share=0.2,--feather=0 $R,--partial-edit,latent,--matte" \
            ATTRIBUTE=hair_length FACES=2500 CEILING_IMAGES=0 LIMIT=${LIMIT:-540} EXPORT_SECONDS=120 \
            OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh ;;
    *) echo "WHICH: beard or hair_length"; exit 2 ;;
esac
