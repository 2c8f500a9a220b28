# Session 10, call A: the five presets with the squared pixel loss, plus smile and
# glasses with the adversarial term from half-way, seven runs side by side.
# Run from the repository root on the device; .device-carry/setup.sh is presets/_authoring/device-setup.sh
# (install the tree, put a `latentroom` wrapper on PATH), carried there beside the tree.
set -u
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/logs/regions" "$OUT/adv"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
B=${BUDGET:-400}
adv() {  # name direction range default region-options
    local name=$1 region="$OUT/adv/$1-region.png"
    latentroom toyfaces region "${1%%-*}" $5 -o "$region" >/dev/null
    OMP_NUM_THREADS=2 timeout 560 latentroom author "$name" --direction "plugins/directions/shipped/$2.json" \
      --generator toyfaces --steps 1000000 --time-budget $B --batch-size 512 --seed 0 --strength-range "$3" \
      --default-strength "$4" --region "$region" --adversarial-weight 0.05 --adversarial-start 0.5 \
      --pool-size 16384 --reuse 4 --inverter encoder --variants none --log-every 200 --author latentroom --license MIT \
      --sheet "$OUT/adv/$name-sheet.png" --force -o "$OUT/adv/$name" > "$OUT/adv/$name.log" 2>&1
}
adv glasses-adversarial glasses-from-truth -3,3 2 "" &
a1=$!
adv smile-adversarial smile -8,8 6 "" &
a2=$!
BUDGET=$B BATCH=512 LOGS=$OUT/logs PRESETS=$OUT/presets timeout 560 bash scripts/author_presets.sh
echo "authors rc $?"
wait $a1 $a2
for f in "$OUT"/logs/*.log "$OUT"/adv/*.log; do echo "== $f"; grep -E "^step" "$f" | tail -n 2; tail -n 2 "$f"; done
cd "$OUT"
tar czf presets-1.tgz -C presets smile age hair_length 2>/dev/null
tar czf presets-2.tgz -C presets glasses beard 2>/dev/null
tar czf adv.tgz adv 2>/dev/null
tar czf logs.tgz logs 2>/dev/null
rm -rf presets logs adv
ls -la "$OUT"
