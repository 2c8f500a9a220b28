#!/usr/bin/env bash
# Session 32: the bundled beard row with matte targets (author --matte), alone on the GPU
# for the whole call: session 30's next-beard-l1.sh (beard's pairs found again: 4,000
# faces, hybrid lr 0.06, the unread dropped) with --matte in place of --l1-start. It ran
# twice: call 2 at commit 519ed7e, call 1 with that code and the thresholds its manifest
# records (README); --matte was removed after (83e888d). Both calls were run with
# WHICH=beard, when this script also held an unrun hair_length row; WHICH is not read now.
# It needs 519ed7e's --matte and next-beard-l1.sh's ROW_TAIL (f8999d6, named EXTRA until
# session 34: author_presets.sh reads an EXTRA too, so --matte reached author twice, a
# flag given twice: the same run): see the README.
# Compare with the bundled preset: figures through apply, and the sheet's fills by eye.
# Run from the repository root: LIMIT=540 bash docs/measurements/session32-device-2026-12-05/matte-row.sh
NAME=beard-matte ROW_TAIL=--matte LIMIT=${LIMIT:-540} \
    exec bash "$(dirname "$0")/../session30-device-2026-12-05/next-beard-l1.sh"
