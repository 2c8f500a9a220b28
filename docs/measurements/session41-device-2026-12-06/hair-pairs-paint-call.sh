#!/usr/bin/env bash
# Written in session 41 for the next session (a failed start took the device time left):
# hair_length from its latent pairs with the painting head, authored under the bundled
# name so that a better student can ship at once. The bundled hair_length's ghost is
# its direction teacher's own (gap.py: the student makes 0.94 of that teacher's change
# on the teacher's pairs; the teacher draws light and grey hair see-through,
# two-teachers.jpg), while the pairs' teacher draws solid hair. Session 30's students of
# these pairs drew see-through streaks, averaging each face's own length; the painting
# head paints all or nothing instead. Session 30's next-hair_length-x1.5.sh with
# --head paint in place of --pixel-loss relative: 2,500 faces, range and default at 1.5 t,
# the latent path below it, the bundled region and jitter. From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session41-device-2026-12-06/hair-pairs-paint-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
J=--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
ROW="hair_length hair_length-pairs x1.5 x1.5 --share=0.2,--feather=0 $J,--partial-edit,latent,--head,paint" \
    ATTRIBUTE=hair_length FACES=${FACES:-2500} CEILING_IMAGES=0 LIMIT=${LIMIT:-560} EXPORT_SECONDS=${EXPORT_SECONDS:-110} \
    OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
