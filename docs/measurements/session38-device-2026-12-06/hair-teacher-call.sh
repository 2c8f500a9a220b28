#!/usr/bin/env bash
# Session 38, device call 3: how opaque hair_length's teacher draws the new hair on
# renders when they are read by the hybrid inverter (session 37's hair_teacher_opacity.py,
# which through the encoder on the CPU made a median 0.53 of the true change beside the
# face against the preset's 0.81; the hybrid did not finish on the CPU in 28 min). Near
# 0.8 or above, the teacher draws what the preset does and the preset's shortfall is the
# domain's; far below, the teacher is what limits it.
# From the repository root: RESULTS=/tmp/o bash docs/measurements/session38-device-2026-12-06/hair-teacher-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
mkdir -p "$RESULTS/logs"
latentroom toyfaces region hair_length --share=0.2 --feather=0 -o /tmp/hair-region.png
DEVICE=cuda python3 docs/measurements/session37-device-2026-12-06/hair_teacher_opacity.py \
    presets/hair_length /tmp/hair-region.png hybrid 2>&1 | tee "$RESULTS/logs/hair-teacher-opacity-hybrid.log"
echo "took $SECONDS s" | tee -a "$RESULTS/logs/hair-teacher-opacity-hybrid.log"
