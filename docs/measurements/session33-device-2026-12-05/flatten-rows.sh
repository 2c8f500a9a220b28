#!/usr/bin/env bash
# Session 33: the bundled hair_length and beard rows with the flattening head (author
# --head flatten), side by side in one call. hair_length's row (hair-row.sh) starts with
# the call and trains 330 s beside beard's find and row, as the bundled hair_length was
# made (session 21's device-call-a.sh: 330 s beside a find and another row). beard's is
# session 30's next-beard-l1.sh (the find again: 4,000 faces, hybrid lr 0.06, the unread
# dropped) with --head flatten in place of --l1-start; the bundled beard trained alone.
# The setup is sourced here once; the two row scripts see it done and skip it.
# Compare with the bundled presets: figures through apply (500 renders), and the sheets.
# Run from the repository root: bash docs/measurements/session33-device-2026-12-05/flatten-rows.sh
set -u
T0=$(date +%s)
HERE=$(dirname "$0")
source presets/_authoring/device-setup.sh
set +e
RESULTS=${RESULTS:-/tmp/o}
mkdir -p "$RESULTS/hair"
BUDGET=${HAIR_BUDGET:-330} RESULTS=$RESULTS/hair timeout 540 bash "$HERE/hair-row.sh" > "$RESULTS/hair/row.out" 2>&1 &
hair=$!
NAME=beard-flatten ROW_TAIL=--head,flatten LIMIT=${LIMIT:-560} RESULTS=$RESULTS \
    bash "$HERE/../session30-device-2026-12-05/next-beard-l1.sh"
wait $hair
echo "hair_length row rc $? at $(( $(date +%s) - T0 ))s"
tail -n 4 "$RESULTS/hair/row.out"
