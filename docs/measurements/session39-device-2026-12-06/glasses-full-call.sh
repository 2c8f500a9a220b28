#!/usr/bin/env bash
# Written in session 39 for the next session (no device time left to run it): glasses'
# pairs found again, then the bundled glasses row twice side by side on one budget, as
# glasses-heads-call.sh ran three (call 3): the bundled head (glasses) and the
# full-resolution head (glasses-full: two 3x3 convs at 128², so each output pixel comes
# from overlapping neighbourhoods). In call 3 the flattening heads drew rings no
# crisper than the bundled head (the smoothed one blurrier); a full-resolution head was last tried
# on glasses on 2026-12-03 (docs/distillation.md, "The student's output head"), 200 s
# beside five other runs, with a teacher since replaced. From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session39-device-2026-12-06/glasses-full-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
TAIL=--pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="glasses glasses-pairs x1 x1 - $TAIL;glasses-full glasses-pairs x1 x1 - $TAIL,--head,full" \
    INVERTER_OPTIONS="lr=0.02" CEILING_IMAGES=0 ATTRIBUTE=glasses FACES=4000 \
    LIMIT=${LIMIT:-420} EXPORT_SECONDS=${EXPORT_SECONDS:-150} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
