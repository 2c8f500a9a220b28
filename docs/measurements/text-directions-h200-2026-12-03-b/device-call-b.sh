# Session 13, call B: toyfaces-clip with a full-resolution stem, trained with twins;
# then, on the new weights, the text-direction measurements: the global directions and
# the linear-boundary text scorer in one process, the optimized text scorer in four.
set -u
T0=$(date +%s)
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/logs"
python3 -m latentroom.plugins.textimage.train_clip --device cuda --workers 12 --threads 2 --batch 512 \
    --steps 3000 --seconds 260 --seed 0 --eval-n 1000 --twins 0.5 --state-dir /tmp/clip-state --out "$OUT/clip" \
    > "$OUT/logs/clip.out" 2>&1
echo "clip rc $? at $(( $(date +%s) - T0 ))s"; tail -n 4 "$OUT/logs/clip.out"
cp "$OUT"/clip/toyfaces-clip.pt "$OUT"/clip/toyfaces-clip.json plugins/textimage/weights/
left=$(( 575 - ($(date +%s) - T0) ))
timeout $left python3 scripts/measure_text_directions.py --device cuda --kinds global,scorer --samples 512 \
    --relevance-samples 16 --batch-size 64 --find-samples 4000 --out "$OUT/text-directions-h200.json" \
    > "$OUT/logs/text-boundary.out" 2>&1 &
part=0
for rows in "smile,age" "age+smile,hair_length" "glasses,beard" "age+smile (sum)"; do
    part=$((part + 1))
    timeout $left python3 scripts/measure_text_directions.py --device cuda --kinds scorer --find-source optimized \
        --samples 512 --batch-size 64 --find-samples 4000 --find-param batch_size=128 --find-param others_weight=0.5 \
        --only "$rows" --out "$OUT/text-optimized-h200-$part.json" > "$OUT/logs/text-optimized-$part.out" 2>&1 &
done
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 14 "$OUT"/logs/text-*.out
cd "$OUT" && tar czf clip.tgz clip && rm -rf clip && tar czf logs-b.tgz logs && rm -rf logs && tar czf text-json.tgz text-*.json && rm -f text-*.json && ls -la "$OUT"
