#!/usr/bin/env bash
# Written in session 30 (no device time left to run it); run in session 31 as device
# call 1, and with NAME and L1_START as call 3 (session31-device-2026-12-05/call-3.sh).
# Beard's pairs found again as in call-1.sh, then the bundled beard row alone with the
# pixel term switched to the absolute error at 0.6 of the budget (author --l1-start): on
# the CPU bank that kept one mouth per face without the adversarial term's texture.
# Compare with the bundled beard (7,804 steps alone) by its figures and its sheet's
# mouths. NAME (beard-l1) names the row's preset, L1_START (0.6) the share of the budget
# after which the error is absolute. ROW_TAIL replaces the row's last author options
# (--l1-start,L1_START): session 32's matte-row.sh runs the row with --matte instead.
# EXPORT_SECONDS (120) is what the row leaves of LIMIT for all but training (session 36:
# more with --keep-mouth, whose aligner then ran before the budget started; since session
# 37 the budget counts it).
# Run from the repository root: LIMIT=560 bash docs/measurements/session30-device-2026-12-05/next-beard-l1.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="${NAME:-beard-l1} beard-pairs x1.75 x1.5 --feather=0 $R,--partial-edit,latent,${ROW_TAIL:---l1-start,${L1_START:-0.6}}" \
    INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 \
    LIMIT=${LIMIT:-560} EXPORT_SECONDS=${EXPORT_SECONDS:-120} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
