#!/usr/bin/env bash
# Session 37, device call 1 (written in session 36 as next-call.sh): mouth_probe.py on 128
# generator faces (how the aligner scales with threads and in worker processes on the
# device, and what keep_mouth costs a chunk there), then the beard row with --keep-mouth
# as session 36's calls 1 and 2 ran it. A pairs file's mouths are now found in worker
# processes before training (seconds, not session 36's 59), so the row gets the shipped
# beard's LIMIT with 5 s more of EXPORT_SECONDS for them: training ~290 s against the
# shipped 296. With the device setup and the probe the call should take ~570 s of its 600.
# From the repository root: RESULTS=/tmp/o bash docs/measurements/session37-device-2026-12-06/beard-call.sh
set -u
HERE=docs/measurements/session37-device-2026-12-06
source presets/_authoring/device-setup.sh
set +e
python3 "$HERE/mouth_probe.py" 128
LIMIT=${LIMIT:-560} EXPORT_SECONDS=${EXPORT_SECONDS:-125} bash docs/measurements/session36-device-2026-12-06/beard-keep-mouth.sh
