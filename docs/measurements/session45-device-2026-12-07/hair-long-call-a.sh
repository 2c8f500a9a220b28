#!/usr/bin/env bash
# Session 45, the first of two calls on one warm machine: hair_length from its latent
# pairs, the bundled row unchanged (session 41's call script), with one anneal spread
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
EXTRA="--time-limit ${TRAIN_SECONDS:-330}" LIMIT=${LIMIT:-1100} EXPORT_SECONDS=${EXPORT_SECONDS:-300} \
    bash docs/measurements/session41-device-2026-12-06/hair-pairs-paint-call.sh
