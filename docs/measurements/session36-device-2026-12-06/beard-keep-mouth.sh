#!/usr/bin/env bash
# Session 36, device calls 1 and 2 (2: with the mouths found before training): the shipped beard row (the flattening head, the absolute
# error from 0.6 of the budget) with the input's own mouth kept in its targets
# (author --keep-mouth), authored under its bundled name into RESULTS/presets/beard.
# Run from the repository root: RESULTS=/tmp/o bash docs/measurements/session36-device-2026-12-06/beard-keep-mouth.sh
set -u
NAME=beard ROW_TAIL=--head,flatten,--l1-start,0.6,--keep-mouth LIMIT=${LIMIT:-560} \
    bash docs/measurements/session30-device-2026-12-05/next-beard-l1.sh
