# Session 13, call A: toyfaces-clip retrained with counterfactual twins (foreground),
# then the text-direction measurements on the new weights; beside them, hair_length
# re-authored on two hard masks (pixels a true edit changes on >= 10% / 20% of faces).
set -u
T0=$(date +%s)
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/logs" /tmp/presets
for share in 0.1 0.2; do
    sed "s/--share=0.05,--feather=0/--share=$share,--feather=0/" scripts/author_presets.sh > scripts/_ap_$share.sh
    BUDGET=330 ONLY=hair_length LOGS=$OUT/logs/hair-$share PRESETS=/tmp/presets/hair-$share \
        timeout 540 bash scripts/_ap_$share.sh > "$OUT/logs/author-$share.out" 2>&1 &
done
python3 -m latentroom.plugins.textimage.train_clip --device cuda --workers 8 --threads 2 --batch 512 \
    --steps 2000 --seconds 200 --seed 0 --eval-n 1000 --twins 0.5 --state-dir "$OUT/clip-state" --out "$OUT/clip" \
    > "$OUT/logs/clip.out" 2>&1
echo "clip rc $? at $(( $(date +%s) - T0 ))s"; tail -n 4 "$OUT/logs/clip.out"
cp "$OUT"/clip/toyfaces-clip.pt "$OUT"/clip/toyfaces-clip.json plugins/textimage/weights/
left=$(( 560 - ($(date +%s) - T0) ))
timeout $left python3 scripts/measure_text_directions.py --device cuda --kinds global,scorer --samples 512 \
    --relevance-samples 16 --batch-size 64 --find-samples 4000 --out "$OUT/text-directions-h200.json" \
    > "$OUT/logs/text-boundary.out" 2>&1 &
timeout $left python3 scripts/measure_text_directions.py --device cuda --kinds scorer --find-source optimized \
    --samples 512 --batch-size 64 --find-samples 4000 --find-param batch_size=128 --find-param others_weight=0.5 \
    --out "$OUT/text-optimized-h200.json" > "$OUT/logs/text-optimized.out" 2>&1 &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
for f in "$OUT"/logs/hair-*/*.log; do echo "== $f"; grep -E "^step" "$f" | tail -n 1; tail -n 2 "$f"; done
tail -n 12 "$OUT"/logs/text-*.out
cd /tmp/presets && tar cf "$OUT/hair-presets.tar" hair-*
cd "$OUT" && tar czf clip.tgz clip && rm -rf clip clip-state && tar czf logs-a.tgz logs && rm -rf logs && ls -la "$OUT"
