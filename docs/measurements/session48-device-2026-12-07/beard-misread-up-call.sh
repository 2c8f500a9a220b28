#!/usr/bin/env bash
# Written in session 48 for the next session: session 46's beard-misread-call.sh with the
# misreading checked on the edit that puts the beard on only (pairs_misread_side=up). In
# session 48 the pairs filtered on either side (1,253 of 3,575 read faces dropped) gave a
# student closer to the truth at t (through apply 0.149 / 0.279 / 0.974 / 0.016 / 0.985
# against 0.162 / 0.311 / 0.948 / 0.014 / 0.958; 6.2 levels from the truth where it changes
# on long hair against 8.5), but it left the beard on 8-23% of bearded faces at the
# range's negative end, so it was not shipped: the filter had dropped bearded faces whose
# removal was misread. With side=up they all stay. Ship it if, through apply, it is at
# least as close to the truth at t as session 46's beard and tests/test_bundled_presets.py
# passes (beard_removal.py beside it). From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session48-device-2026-12-07/beard-misread-up-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop PAIRS_MISREAD=${PAIRS_MISREAD:-10} PAIRS_MISREAD_SIDE=up CEILING_IMAGES=0 \
    ATTRIBUTE=beard FACES=4000 LIMIT=${LIMIT:-570} EXPORT_SECONDS=${EXPORT_SECONDS:-118} OUT=${RESULTS:-/tmp/o} \
    bash scripts/pairs_preset.sh
