#!/usr/bin/env bash
# Session 45, the second call, on the machine hair-long-call-a.sh left warm: resume the
# hair_length student (the bundled row, as there) from its saved state and pairs, train
# to the budget the first call's author run was given (one anneal over both), then
# export and evaluate it.
# Stops at once on a machine without them (a fresh one). From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session45-device-2026-12-07/hair-long-call-b.sh
set -u
source presets/_authoring/device-setup.sh
set +e
OUT=${RESULTS:-/tmp/o}
PAIRS_DIR=${PAIRS_DIR:-/tmp/pairs}
log=$OUT/logs/hair_length.log
if [[ ! -s $PAIRS_DIR/hair_length-pairs.npz || ! -d $OUT/presets/hair_length/.author-state || ! -s $log ]]; then
    echo "no pairs, state or log from hair-long-call-a.sh: this is not the machine it ran on"
    exit 3
fi
budget=$(grep -o -- '--time-budget [0-9]*' "$log" | head -1 | cut -d' ' -f2)
echo "resuming to a budget of $budget s"
ONLY=hair_length BUDGET=$budget EXTRA=--resume DEVICE=cuda DIRECTIONS=$OUT/dirs PAIRS_DIR=$PAIRS_DIR \
    LOGS=$OUT/logs PRESETS=$OUT/presets bash scripts/author_presets.sh
echo "author rc $?"
tail -n 3 "$log"
