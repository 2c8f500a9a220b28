#!/usr/bin/env bash
# Session 45, the first of two calls on one warm machine: hair_length from its latent
# pairs, the bundled row of scripts/author_presets.sh unchanged, with one anneal spread
# over both calls. The student underfits its teacher (session 44: 22.3 dB to it on the
# edited pixels of faces it trained on, 22.0 on held-out ones; the loss still falling
# at the end) and draws grey hair see-through where its teacher draws it solid, on the
# render and on the generator's own drawing alike (session 45, domain_check.py); session
# 37's hair_length, trained longer, drew its new hair more opaque. This call finds the
# pairs (kept in /tmp/pairs for the second call: they are not bit for bit repeatable on
# the GPU, and a resumed run must see the same ones) and trains for 330 s of a budget
# of about 650 (LIMIT - find - EXPORT_SECONDS), then saves the state;
# hair-long-call-b.sh resumes it. From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session45-device-2026-12-07/hair-long-call-a.sh
# FACES (2,500, as it ran in session 46) was added in session 46 for a find of more faces.
set -u
source presets/_authoring/device-setup.sh
set +e
EXTRA="--time-limit ${TRAIN_SECONDS:-330}" ATTRIBUTE=hair_length FACES=${FACES:-2500} CEILING_IMAGES=0 \
    LIMIT=${LIMIT:-1100} EXPORT_SECONDS=${EXPORT_SECONDS:-300} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
