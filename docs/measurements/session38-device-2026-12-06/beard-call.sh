#!/usr/bin/env bash
# Session 38, device call 1: the bundled beard row (session 36's beard-keep-mouth.sh) with
# session 37's keep_mouth (the lips read as a mix of skin and lip colour, a pair the
# teacher left alone kept) and the window round the mouths found on the host, where
# reading it back from the GPU made the host wait every chunk (session 37's run: ~26.5
# steps/s against ~30 for the rows without --keep-mouth). The shipped beard trained
# 6,433 steps in a 283 s budget with the mouths' 23 s in it; session 35's, without
# --keep-mouth, 8,171 in 296 s. This row gets ~300 s: LIMIT 570 less the find's ~150 s
# and EXPORT_SECONDS 118 (export and evaluation took 102 s, with ~17 s of start).
# From the repository root: RESULTS=/tmp/o bash docs/measurements/session38-device-2026-12-06/beard-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
LIMIT=${LIMIT:-570} EXPORT_SECONDS=${EXPORT_SECONDS:-118} bash docs/measurements/session36-device-2026-12-06/beard-keep-mouth.sh
