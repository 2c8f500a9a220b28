# Session 13, call C: the optimized text rows call B's limit cut, on the shipped
# (stem, twins) toyfaces-clip: age and beard, two processes; each row is saved as it
# finishes (the text row first, the classifier control second).
set -u
T0=$(date +%s)
source .device-carry/setup.sh
mkdir -p "$OUT/logs"
left=$(( 250 - ($(date +%s) - T0) ))
for rows in age beard; do
    timeout $left python3 scripts/measure_text_directions.py --device cuda --kinds scorer --find-source optimized \
        --samples 512 --batch-size 64 --find-samples 4000 --find-param batch_size=128 --find-param others_weight=0.5 \
        --only "$rows" --out "$OUT/text-optimized-h200-$rows.json" > "$OUT/logs/text-optimized-$rows.out" 2>&1 &
done
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 5 "$OUT"/logs/text-*.out
cd "$OUT" && tar czf text-c.tgz logs text-*.json && rm -rf logs text-*.json && ls -la "$OUT"
