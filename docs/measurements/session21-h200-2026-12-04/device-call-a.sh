# Session 21, call A: (1) the hybrid inverter's rate with grouped against input-modulated
# convolutions, alone on the GPU; (2) hair_length re-authored with pair jitter (through
# `apply` its judge ratio is 0.799: its hair follows the crop's frame), in the background;
# (3) glasses from latent pairs of FACES faces, then a student with jitter and the
# relative loss. LIMIT (seconds) bounds the whole call.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
HERE=docs/measurements/session21-h200-2026-12-04
FACES=${FACES:-2000}
LIMIT=${LIMIT:-570}
JITTER=--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3
L=$OUT/logs
mkdir -p "$L" "$OUT/dirs" /tmp/pairs
left() { echo $(( LIMIT - ($(date +%s) - T0) )); }
timeout 90 python3 "$HERE/hybrid_modconv.py" 256 cuda > "$L/hybrid-modconv.log" 2>&1
echo "timing rc $? at $(( $(date +%s) - T0 ))s"; cat "$L/hybrid-modconv.log"
ROW="hair_length hair_length -12,12 8 --share=0.2,--feather=0 $JITTER" ONLY=hair_length BUDGET=330 \
    LOGS=$L PRESETS=/tmp/presets timeout $(( $(left) - 10 )) bash scripts/author_presets.sh &
hair=$!
D=$OUT/dirs/glasses-pairs.json
find_cmd=(latentroom direction find inverted-truth -a glasses --layers all --samples "$FACES"
          --param inverter=hybrid --param inverter_batch=256 --param "pairs=/tmp/pairs/glasses-pairs.npz"
          --device cuda -o "$D")
echo "$(date -u +%FT%TZ) ${find_cmd[*]}" > "$L/find-glasses.log"
timeout 300 "${find_cmd[@]}" >> "$L/find-glasses.log" 2>&1
echo "find rc $? at $(( $(date +%s) - T0 ))s"
budget=$(( $(left) - 100 ))
echo "glasses author budget ${budget}s at $(( $(date +%s) - T0 ))s"
ROW="glasses glasses-pairs x1.5 x1 - --pixel-loss,relative,$JITTER" ONLY=glasses BUDGET=$budget \
    DIRECTIONS=$OUT/dirs PAIRS_DIR=/tmp/pairs LOGS=$L PRESETS=/tmp/presets \
    timeout $(( $(left) + 20 )) bash scripts/author_presets.sh
echo "glasses author rc $? at $(( $(date +%s) - T0 ))s"
wait $hair; echo "hair_length author rc $? at $(( $(date +%s) - T0 ))s"
tail -n 2 "$L/find-glasses.log" "$L/glasses.log" "$L/hair_length.log"
for name in glasses hair_length; do
    [ -d "/tmp/presets/$name" ] && (cd /tmp/presets && tar cf "$L/$name-preset.tar" "$name")
done
cd "$OUT" && tar czf s21-a.tgz logs dirs && rm -rf logs dirs && ls -la "$OUT"
