#!/usr/bin/env bash
# Session 41: hair_length's pairs found again as session 30 found them (FACES, 2,500:
# each face's true edit read by the hybrid; seeded), then a bank of their teacher
# (scripts/pairs_bank.py: BANK pairs, 1,024, at 1.5 t in the bundled row's region) for
# training painting students on the CPU. Meant as device call 4, which found no machine
# (the failed start took the device time left); it ran on this CPU with FACES=16 BANK=64
# DEVICE=cpu LATENTROOM_DEVICE_READY=1 (11 min, the find 10 of them), whose bank
# teachers.py shows. A device run would bring the bank back in parts (about 45 MB
# gzipped). From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session41-device-2026-12-06/hair-pairs-bank-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
R=${RESULTS:-/tmp/o}
mkdir -p "$R/dirs" "$R/logs" /tmp/pairs
latentroom direction find inverted-truth -a hair_length --layers all --samples ${FACES:-2500} \
    --param inverter=hybrid --param inverter_batch=256 --param 'inverter_options={}' \
    --param pairs=/tmp/pairs/hair_length-pairs.npz --param pairs_unread=keep \
    --device ${DEVICE:-cuda} -o "$R/dirs/hair_length-pairs.json" > "$R/logs/find-hair_length.log" 2>&1
echo "find rc $? at ${SECONDS}s"
latentroom toyfaces region hair_length --share=0.2 --feather=0 -o "$R/logs/hair_length-region.png"
python3 docs/measurements/session41-device-2026-12-06/scripts/pairs_bank.py "$R/dirs/hair_length-pairs.json" \
    /tmp/pairs/hair_length-pairs.npz "$R/logs/hair_length-region.png" 1.5 ${BANK:-1024} "$R/bank-hair-pairs.pt"
echo "bank rc $? at ${SECONDS}s"
