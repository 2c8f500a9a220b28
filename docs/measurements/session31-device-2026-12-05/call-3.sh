#!/usr/bin/env bash
# Session 31, device call 3 (issued as soon as call 2 returned, on the still-warm machine):
# call 1 again (session 30's next-beard-l1.sh: beard's pairs found again, the bundled
# beard row alone) with the pixel term switched to the absolute error at 0.35 of the
# budget instead of 0.6, so the absolute error runs about 4,500 of the 6,900 steps.
# Run from the repository root: LIMIT=520 bash docs/measurements/session31-device-2026-12-05/call-3.sh
NAME=beard-l1e L1_START=0.35 LIMIT=${LIMIT:-520} \
    exec bash "$(dirname "$0")/../session30-device-2026-12-05/next-beard-l1.sh"
