#!/usr/bin/env bash
# Session 29, device call 1: hair_length from its pairs (each face's own true edit,
# +-0.35 of the hair scale, read by the hybrid at lr 0.06), alone on the GPU for the
# whole call, with its ceiling (the inverted truth on 500 held-out renders) beside it.
# The bundled row's region (share 0.2, no feather) and jitter; partial strengths along
# the latent path (hair grows step by step on it).
# Run from the repository root: LIMIT=520 bash docs/measurements/session29-device-2026-12-05/call-1.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="hair_length hair_length-pairs x1 x1 --share=0.2,--feather=0 $R,--partial-edit,latent" \
    ATTRIBUTE=hair_length FACES=2500 CEILING_IMAGES=500 LIMIT=${LIMIT:-520} EXPORT_SECONDS=100 \
    OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
