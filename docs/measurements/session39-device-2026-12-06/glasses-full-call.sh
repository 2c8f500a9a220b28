#!/usr/bin/env bash
# Written in session 39 for the next session (no device time left to run it): glasses'
# pairs found again, then the bundled glasses row twice side by side on one budget, as
# glasses-heads-call.sh ran three (call 3): the bundled head (glasses) and the
# full-resolution head (glasses-full: two 3x3 convs at 128², so each output pixel comes
# from overlapping neighbourhoods). In call 3 the flattening heads drew rings no
# crisper than the bundled head (the smoothed one blurrier); a full-resolution head was
# last tried on glasses on 2026-12-03 (docs/distillation.md, "The student's output
# head"), 200 s beside five other runs, with a teacher since replaced. From the
# repository root:
#   RESULTS=/tmp/o bash docs/measurements/session39-device-2026-12-06/glasses-full-call.sh
HEADS=full bash docs/measurements/session39-device-2026-12-06/glasses-heads-call.sh
