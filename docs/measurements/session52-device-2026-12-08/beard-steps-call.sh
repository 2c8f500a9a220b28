#!/usr/bin/env bash
# Session 52, for the next session: beard's pairs read with four times the hybrid's
# refinement steps. beard's teacher draws long-haired faces' beards faint: on 12 held-out
# renders lacking a beard with hair_length > 0.7 (scripts/beard_reading_steps.py, CPU), the
# hybrid at lr 0.06 misreads their true beard by a median 14.9 levels at 32 steps (the
# bundled pairs' setting) and 9.1 at 128, and the generator draws a median 0.76 of the true
# change there at 32 steps, 0.96 at 128. At 128 steps the find takes about four times as
# long (session 52's at 32: 154 s on an H100 for 4,000 faces), so the find and the author
# run are two calls on one warm machine (scripts/pairs_preset.sh's STAGE), and the find
# reads 3,000 faces (FACES), not the bundled 4,000, to stay well inside its call. The pairs
# and results stay in the ignored .pairs/ of the repository root, which a warm machine
# keeps between calls (before the first call, here: echo /.pairs/ >> .git/info/exclude).
# From the repository root, one call each:
#   timeout 585 env STAGE=find bash docs/measurements/session52-device-2026-12-08/beard-steps-call.sh > $OUT/find.out 2>&1; cp -r .pairs/o/logs $OUT/
#   timeout 585 env STAGE=author bash docs/measurements/session52-device-2026-12-08/beard-steps-call.sh > $OUT/author.out 2>&1; tar czf $OUT/author.tgz -C .pairs/o logs presets dirs
# The author run is the bundled row as session 52's call 2 ran it, 297 s of training at
# seed 1, on pairs with each face's own region (PAIRS_REGIONS=2). Judge it as session 52
# did.
set -u
export STARTED=${STARTED:-$(date +%s)}
source presets/_authoring/device-setup.sh
set +e
INVERTER_OPTIONS="lr=0.06 steps=${STEPS:-128}" PAIRS_UNREAD=drop PAIRS_REGIONS=2 CEILING_IMAGES=0 ATTRIBUTE=beard \
    FACES=${FACES:-3000} AUTHOR_BUDGET=${AUTHOR_BUDGET:-297} EXTRA="--seed ${SEED:-1}" LIMIT=${LIMIT:-565} \
    EXPORT_SECONDS=${EXPORT_SECONDS:-118} PAIRS_DIR=.pairs OUT=.pairs/o bash scripts/pairs_preset.sh
