# Session 16, call D: call C found a cleaner-than-shipped long-hair direction at lr 0.003 that moves
# 0.6 of the shipped one; steps between lr 0.003 and 0.01, 400 steps each, others_weight 2 and 10.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
mkdir -p "$OUT/logs" "$OUT/dirs"
left() { echo $(( 420 - ($(date +%s) - T0) )); }
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --keep-by-classifier --only hair_length --find-param batch_size=128 --find-param start=conditioned --find-param isolation=0"
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common $opt "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
text hair-keepclf-cond-ow2-lr004 --find-param others_weight=2 --find-param lr=0.004 --find-param steps=400 &
text hair-keepclf-cond-ow2-lr005 --find-param others_weight=2 --find-param lr=0.005 --find-param steps=400 &
text hair-keepclf-cond-ow10-lr004 --find-param others_weight=10 --find-param lr=0.004 --find-param steps=400 &
text hair-keepclf-cond-ow10-lr005 --find-param others_weight=10 --find-param lr=0.005 --find-param steps=400 &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT"/logs/*.out
cd "$OUT" && tar czf s16d.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
