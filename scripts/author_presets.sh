#!/usr/bin/env bash
# Author the bundled presets (presets/NAME) from the shipped directions, all five at
# once: one student each is small, so one GPU trains them side by side.
#
#   bash scripts/author_presets.sh              # fresh runs, or continue unfinished ones
#   STEPS=6000 TIME_LIMIT=420 bash scripts/author_presets.sh
#
# An unfinished run (time limit reached) leaves $PRESETS/NAME/.author-state; running
# the script again resumes it with the same options. Logs: $LOGS/NAME.log.
# On a machine that keeps only git-ignored paths between calls (the device tool),
# set PRESETS=out/presets so unfinished states survive there, then copy the
# finished bundles into presets/.
set -u
cd "$(dirname "$0")/.."
STEPS=${STEPS:-6000}
TIME_LIMIT=${TIME_LIMIT:-420}
DEVICE=${DEVICE:-auto}
LOGS=${LOGS:-out/author-logs}
PRESETS=${PRESETS:-presets}
mkdir -p "$LOGS"
# Range and default strength come from the direction file: its suggested range is
# the strength that takes an average face to the attribute's 90th (10th) percentile
# (scripts/measure_directions.py), and the preset's default is the top of it, so
# applying it without --strength visibly makes the edit.
top_of_range() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["strength_range"][1])' "$1"
}
pids=()
for name in smile age hair_length glasses beard; do
    resume=()
    [ -d "$PRESETS/$name/.author-state" ] && resume=(--resume)
    direction="plugins/directions/shipped/$name.json"
    cmd=(latentroom author "$name" --direction "$direction"
         --generator toyfaces --steps "$STEPS" --batch-size 32 --seed 0 --device "$DEVICE"
         --time-limit "$TIME_LIMIT" --variants none --default-strength "$(top_of_range "$direction")"
         --author latentroom --license MIT --force "${resume[@]}" -o "$PRESETS/$name")
    echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$LOGS/$name.log"
    OMP_NUM_THREADS=3 "${cmd[@]}" >> "$LOGS/$name.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
