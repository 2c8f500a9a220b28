#!/usr/bin/env bash
# Session 37, device call 3, in the 514 s of device time left: glasses' pairs found again
# (seeded: the shipped glasses-pairs direction), then the bundled glasses row exactly as
# shipped, alone on the GPU. The shipped glasses trained 166 s beside two other students
# (session 26: 1,457 steps); its rings are single but softer than the truth's. Does the
# same row with about twice the steps draw them crisper? LIMIT leaves ~130 s of training.
# From the repository root: RESULTS=/tmp/o bash docs/measurements/session37-device-2026-12-06/glasses-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
INVERTER_OPTIONS="lr=0.02" CEILING_IMAGES=0 ATTRIBUTE=glasses FACES=4000 \
    LIMIT=${LIMIT:-370} EXPORT_SECONDS=${EXPORT_SECONDS:-100} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
