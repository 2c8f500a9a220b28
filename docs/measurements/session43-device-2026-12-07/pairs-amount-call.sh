#!/usr/bin/env bash
# Session 43: what hair_length's pairs teacher makes, in the judge's units, at the
# strengths its preset is graded at (pairs_amount.py). The find is session 41's
# hair-pairs-paint-call.sh's (seeded: the same 2,500 faces' pairs); the region is the
# bundled row's. FACES (2,500) cuts the find to fit a call. From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session43-device-2026-12-07/pairs-amount-call.sh
set -u
source presets/_authoring/device-setup.sh
OUT=${RESULTS:-/tmp/o}
mkdir -p "$OUT" /tmp/pairs
latentroom direction find inverted-truth -a hair_length --layers all --samples "${FACES:-2500}" --param inverter=hybrid \
    --param inverter_batch=256 --param 'inverter_options={}' --param pairs=/tmp/pairs/hair_length-pairs.npz \
    --param pairs_unread=keep --device cuda -o "$OUT/hair_length-pairs.json" > "$OUT/find.log" 2>&1 || { tail "$OUT/find.log"; exit 1; }
latentroom toyfaces region hair_length --share 0.2 --feather 0 -o "$OUT/region.png"
python3 docs/measurements/session43-device-2026-12-07/pairs_amount.py "$OUT/hair_length-pairs.json" \
    /tmp/pairs/hair_length-pairs.npz "$OUT/region.png" 0.755 0.3775 -0.755 2>&1 | tee "$OUT/pairs-amount.log"
