#!/usr/bin/env bash
# Session 37, device call 2: the bundled hair_length row as shipped (session 35: 8,877
# steps in 330 s), alone on the GPU with the most training a call allows. On the
# generator's own samples at the default the shipped student makes a median 0.90 of its
# teacher's change where the teacher moves a pixel by more than 40 levels (this CPU,
# 64 samples; hair_opacity.py on renders: 0.79 beside the face), and it fits the faces
# it trained on little better than new ones: it is short of its teacher, not of data.
# Does ~1.5x the steps make the new hair more opaque? Authored under the bundled name.
# From the repository root: RESULTS=/tmp/o BUDGET=460 bash docs/measurements/session37-device-2026-12-06/hair-long.sh
NAME=hair_length ROW_TAIL=--head,flatten BUDGET=${BUDGET:-460} \
    bash docs/measurements/session33-device-2026-12-05/hair-row.sh
