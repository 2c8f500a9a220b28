# Session 11, call B: (1) one student alone for authoring throughput (the bundled
# settings); (2) the first part of a longer training of smile, hair_length, glasses
# and beard (age meets every bar as shipped): --time-limit stops and saves each state,
# which comes back as $OUT/state-NAME.pt for call C (s11c.sh) to resume.
# Run from the repository root on the device; .device-carry/setup.sh is
# presets/_authoring/device-setup.sh, carried beside the tree.
# Run as: BUDGET=860 bash .device-carry/s11b.sh (this file), 2026-12-03 09:53 UTC.
set -u
T0=$(date +%s)
TOTAL=${TOTAL:-570}
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/tp" "$OUT/logs"
latentroom toyfaces region glasses -o "$OUT/tp/glasses.png" >/dev/null
OMP_NUM_THREADS=2 timeout 150 latentroom author tp --direction plugins/directions/shipped/glasses-from-truth.json \
    --generator toyfaces --steps 1000000 --time-limit ${TP_SECONDS:-100} --batch-size 512 --seed 0 --device auto \
    --strength-range -3,3 --default-strength 2 --region "$OUT/tp/glasses.png" --feature-weight 0 --pool-size 16384 \
    --reuse 4 --inverter encoder --variants none --log-every 50 -o /tmp/tp > "$OUT/tp/throughput-alone.log" 2>&1
echo "throughput rc $?"; grep -E "^step|pool|limit" "$OUT/tp/throughput-alone.log"
T=$(( TOTAL - ($(date +%s) - T0) - 30 ))
echo "first part: $T s each"
BUDGET=${BUDGET:-900} ONLY="smile hair_length glasses beard" LOGS=$OUT/logs PRESETS=/tmp/presets EXTRA="--time-limit $T" \
    timeout $(( T + 60 )) bash scripts/author_presets.sh
echo "authors rc $?"
for f in "$OUT"/logs/*.log; do echo "== $f"; grep -E "^step" "$f" | tail -n 1; tail -n 1 "$f"; done
for d in /tmp/presets/*/; do n=$(basename "$d"); cp "$d/.author-state/state.pt" "$OUT/state-$n.pt"; done
cd "$OUT" && tar czf logs-b.tgz logs tp && rm -rf logs tp && ls -la "$OUT"
