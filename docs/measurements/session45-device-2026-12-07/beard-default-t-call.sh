#!/usr/bin/env bash
# Written in session 45 for the next session: the bundled beard row with its default at
# the truth's strength t instead of 1.5 t, and its range 1.25 t both ways instead of 1.75 t
# (the student then learns less of the extrapolated teacher). The pairs'
# teacher extrapolated to 1.5 t is about twice as far from the truth's change inside the
# region as at t (median 19.8 against 10.8 levels on 32 held-out renders,
# beard_consistency.py), and the shipped student, evaluated at t on this CPU, meets every
# bar and is closer to the truth than at its default (through apply, region error /
# outside / judge ratio / others / appear: 0.171 / 0.341 / 0.912 / 0.014 / 0.924 against
# 0.230 / 0.562 / 0.952 / 0.017 / 0.963), and takes beards off as well at -t (0.205 /
# 0.037 / 0.974 / 0.003 / 0.978 against 0.281 / 0.050 / 0.980 / 0.003 / 0.989 at -1.5 t).
# At half of t it draws almost nothing (appear 0.007), where half of 1.5 t draws 0.68:
# the slider's lower half does less. Ship it if, through apply at t, it is at least as
# close to the truth as the shipped student at t (figures above) and no blurrier by eye
# (docs/measurements/session45-device-2026-12-07/beard_strengths.py beside it). From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session45-device-2026-12-07/beard-default-t-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
J=--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="beard beard-pairs x1.25 x1 --feather=0 --pixel-loss,relative,$J,--partial-edit,latent,--head,smooth-flatten,--l1-start,0.6,--keep-mouth" \
    INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 \
    LIMIT=${LIMIT:-570} EXPORT_SECONDS=${EXPORT_SECONDS:-118} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
