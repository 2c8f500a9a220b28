#!/usr/bin/env bash
# Session 50: hair_length's bundled row with its targets kept inside a region that does not
# cut the truth's new hair. The bundled region is the pixels a true edit changes on at
# least 20% of faces (17.8% of the frame), chosen in session 8 against the direction's
# teacher, whose halo it kept out; the pairs' teacher draws none. On 36 faces read through
# the hybrid (scripts/target_regions.py) the targets' error to the true change, where the
# truth moves, is 24.4 levels at 20%, 16.0 at 5% (31.6% of the frame), and 14.8 inside
# each face's own true change grown by 2 px; drawn past the truth, 0.72, 1.36 and 0.53.
# The 20% region's cut is the ragged band over the shirt. Two variants, one call each,
# everything else as the shipped row, trained as long (327 s). From the repository root:
#   SHARE=0.05 RESULTS=/tmp/o1 bash docs/measurements/session50-device-2026-12-07/hair-region-call.sh
#   SHARE=0.01 PAIRS_REGIONS=2 RESULTS=/tmp/o2 bash docs/measurements/session50-device-2026-12-07/hair-region-call.sh
# (PAIRS_REGIONS=2: each face's own region, inverted-truth's pairs_regions, inside the
# widest fixed region, every pixel a true edit changes on 1% of faces.)
set -u
# LIMIT counts the install too (session 51: a cold call ran past the device's 600 s and
# returned nothing); run it as docs/measurements/session51-device-2026-12-07/README.md shows.
export STARTED=${STARTED:-$(date +%s)}
source presets/_authoring/device-setup.sh
set +e
ROW="hair_length hair_length-pairs x1.5 x1.5 --share=${SHARE:?give SHARE, the fixed region share},--feather=0 --jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3,--partial-edit,latent,--head,paint" \
    ATTRIBUTE=hair_length FACES=2500 CEILING_IMAGES=0 AUTHOR_BUDGET=${AUTHOR_BUDGET:-327} LIMIT=${LIMIT:-575} \
    EXPORT_SECONDS=${EXPORT_SECONDS:-100} OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
