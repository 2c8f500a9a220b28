#!/usr/bin/env bash
# Session 36, device call 3: the bundled hair_length row with the absolute error from 0.6
# of the budget (author --l1-start 0.6), which gave beard an opaque fill without
# hatching (session 31/35): does it take the streaks out of the longer hair? Authored
# under the bundled name into its own folder. From the repository root:
#   RESULTS=/tmp/o BUDGET=300 bash docs/measurements/session36-device-2026-12-06/hair-l1.sh
NAME=hair_length ROW_TAIL=--head,flatten,--l1-start,0.6 BUDGET=${BUDGET:-300} \
    bash docs/measurements/session33-device-2026-12-05/hair-row.sh
