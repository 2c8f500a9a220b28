#!/usr/bin/env bash
# Session 41: the bundled hair_length row (painting head) authored again for the full
# 440 s that session 39's smoothed row had (session 40 shipped it after 360 s, 8,670
# steps, what two failed starts had left), alone on the GPU and under the bundled name.
# It also gives hair_length the smoothed head's pool blur in place of the conv. From the
# repository root:
#   RESULTS=/tmp/o bash docs/measurements/session41-device-2026-12-06/hair-paint-440-call.sh
BUDGET=${BUDGET:-440} bash docs/measurements/session40-device-2026-12-06/hair-paint-call.sh
