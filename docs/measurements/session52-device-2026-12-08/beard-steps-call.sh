#!/usr/bin/env bash
# Session 52, for the next session: beard's pairs read with four times the hybrid's
# refinement steps. beard's teacher draws long-haired faces' beards faint: on 12 held-out
# renders lacking a beard with hair_length > 0.7 (scripts/beard_reading_steps.py, CPU), the
# hybrid at lr 0.06 misreads their true beard by a median 14.9 levels at 32 steps (the
# bundled pairs' setting) and 9.1 at 128, and the generator draws a median 0.76 of the true
# change there at 32 steps, 0.96 at 128. At 128 steps the find takes about four times as
# long (session 52's at 32: 154 s on an H100 for 4,000 faces), so the find and the author
# run are two calls on one warm machine, and the find reads 3,000 faces (FACES), not the
# bundled 4,000, to stay well inside its 560 s. The pairs stay in the ignored .pairs/ of the
# repository root, which a warm machine keeps between calls (before the first call, here:
# echo /.pairs/ >> .git/info/exclude). From the repository root, one call each:
#   timeout 585 env STAGE=find bash docs/measurements/session52-device-2026-12-08/beard-steps-call.sh > $OUT/find.out 2>&1; cp -r .pairs/o $OUT/
#   timeout 585 env STAGE=author RESULTS=/tmp/o bash docs/measurements/session52-device-2026-12-08/beard-steps-call.sh > $OUT/author.out 2>&1; tar czf $OUT/author.tgz -C /tmp/o logs presets
# The find writes its direction and log to .pairs/o. The author run is the bundled row as
# session 52's call 2 ran it, 297 s of training at seed 1, on pairs with each face's own
# region (PAIRS_REGIONS=2). Judge it as session 52 did. A CPU smoke: FACES=16 STEPS=2
# DEVICE=cpu, then AUTHOR_BUDGET=5 BATCH=8 POOL=64 EVAL_IMAGES=16 DEVICE=cpu.
set -u
source presets/_authoring/device-setup.sh
set +e
DEVICE=${DEVICE:-cuda}
found=.pairs/o
mkdir -p "$found/dirs" "$found/logs"
case "${STAGE:?find or author}" in
    find)
        cmd=(latentroom direction find inverted-truth -a beard --layers all --samples "${FACES:-3000}"
             --param inverter=hybrid --param inverter_batch=256
             --param "inverter_options={\"lr\": 0.06, \"steps\": ${STEPS:-128}}"
             --param pairs=.pairs/beard-pairs.npz --param pairs_unread=drop
             --param pairs_regions=true --param pairs_region_grow=2 --device "$DEVICE"
             -o "$found/dirs/beard-pairs.json")
        echo "$(date -u +%FT%TZ) ${cmd[*]}" > "$found/logs/find-beard.log"
        timeout 560 "${cmd[@]}" >> "$found/logs/find-beard.log" 2>&1
        echo "find rc $?"; tail -n 2 "$found/logs/find-beard.log" ;;
    author)
        RESULTS=${RESULTS:?name the results folder}
        [[ -s "$found/dirs/beard-pairs.json" && -s .pairs/beard-pairs.npz ]] || { echo "no pairs: run STAGE=find first, on this machine"; exit 1; }
        DEVICE=$DEVICE ONLY=beard BUDGET=${AUTHOR_BUDGET:-297} EXTRA="--seed ${SEED:-1}" DIRECTIONS="$found/dirs" \
            PAIRS_DIR=.pairs LOGS="$RESULTS/logs" PRESETS="$RESULTS/presets" timeout 570 bash scripts/author_presets.sh
        echo "author rc $?"; tail -n 3 "$RESULTS/logs/beard.log" ;;
    *) echo "STAGE must be find or author" >&2; exit 2 ;;
esac
