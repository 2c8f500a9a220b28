#!/usr/bin/env bash
# Written in session 36 for the next device call (not yet run): mouth_probe.py on 256
# generator faces (how the aligner scales with threads on the device, and what
# keep_mouth costs a chunk there), then the beard row with --keep-mouth as calls 1 and 2
# ran it. Call 2 was killed by pairs_preset.sh's LIMIT: the mouths (59 s, found before
# training) were not in its sum. Here EXPORT_SECONDS leaves 150 s of LIMIT for them, the
# export and the evaluation, so training gets 555 - 148 (the find) - 150 = ~257 s, against
# the shipped beard's 296. pairs_preset.sh stops the row 20 s past LIMIT; with the device
# setup and the probe (~30 s) the call should take about 580 s of its 600.
# From the repository root: RESULTS=/tmp/o bash docs/measurements/session36-device-2026-12-06/next-call.sh
set -u
HERE=docs/measurements/session36-device-2026-12-06
source presets/_authoring/device-setup.sh
set +e
python3 "$HERE/mouth_probe.py" 256
LIMIT=${LIMIT:-555} EXPORT_SECONDS=${EXPORT_SECONDS:-150} bash "$HERE/beard-keep-mouth.sh"
