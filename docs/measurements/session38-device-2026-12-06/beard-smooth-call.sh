#!/usr/bin/env bash
# Session 38, device call 2: call 1's row (the bundled beard row with --keep-mouth, the
# same LIMIT and EXPORT_SECONDS) with the smoothed flattening head (--head smooth-flatten:
# the transposed conv's outputs through a fixed 3x3 binomial blur) in place of
# --head flatten, whose students all draw a 2-pixel dot hatching on the beard (session
# 35's, 37's and call 1's alike). Everything else is call 1's.
# From the repository root: RESULTS=/tmp/o bash docs/measurements/session38-device-2026-12-06/beard-smooth-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
NAME=beard ROW_TAIL=--head,smooth-flatten,--l1-start,0.6,--keep-mouth LIMIT=${LIMIT:-570} EXPORT_SECONDS=${EXPORT_SECONDS:-118} \
    bash docs/measurements/session30-device-2026-12-05/next-beard-l1.sh
