# Session 10, call B: #19's device timings for text directions, then the five presets
# again (squared pixel loss; batch and feature weight from the environment).
# Run from the repository root on the device; .device-carry/setup.sh is presets/_authoring/device-setup.sh
# (install the tree, put a `latentroom` wrapper on PATH), carried there beside the tree.
set -u
T0=$(date +%s)
TOTAL=${TOTAL:-585}  # seconds this call may use before the tarballs
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/text" "$OUT/logs"
timeout $(( TOTAL > 500 ? 170 : 110 )) python3 -u scripts/measure_text_directions.py --device cuda --samples 512 --relevance-samples 16 \
    --batch-size 64 --out "$OUT/text/text-directions-h200.json" > "$OUT/text/text-directions-h200.log" 2>&1
echo "text rc $?"; tail -n 5 "$OUT/text/text-directions-h200.log"
B=$(( TOTAL - 85 - ($(date +%s) - T0) )); (( B > 400 )) && B=400
echo "authoring budget $B s"
BUDGET=$B BATCH=${BATCH:-128} FEATURE_WEIGHT=${FEATURE_WEIGHT:-0.5} LOGS=$OUT/logs PRESETS=$OUT/presets \
    timeout $(( TOTAL - ($(date +%s) - T0) )) bash scripts/author_presets.sh
echo "authors rc $?"
for f in "$OUT"/logs/*.log; do echo "== $f"; grep -E "^step" "$f" | tail -n 1; tail -n 1 "$f"; done
cd "$OUT"
tar czf presets-1.tgz -C presets smile age hair_length 2>/dev/null
tar czf presets-2.tgz -C presets glasses beard 2>/dev/null
tar czf logs.tgz logs text 2>/dev/null
rm -rf presets logs text
ls -la "$OUT"
