#!/usr/bin/env bash
# Session 39, device call 2: the bundled hair_length row (session 37's call 2: alone on
# the GPU, 460 s, the flattening head) with the smoothed flattening head in its place
# (--head smooth-flatten), which in call 1 took the 2-pixel dot grid off the beard at
# equal figures. hair_length's high-pass shows the same grid along the new hair's edges.
# Authored under the bundled name. From the repository root:
#   RESULTS=/tmp/o BUDGET=440 bash docs/measurements/session39-device-2026-12-06/hair-smooth-call.sh
NAME=hair_length ROW_TAIL=--head,smooth-flatten BUDGET=${BUDGET:-440} \
    bash docs/measurements/session33-device-2026-12-05/hair-row.sh
