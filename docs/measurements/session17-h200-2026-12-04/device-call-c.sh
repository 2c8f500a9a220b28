# Session 17, call C: call A's long-hair finds moved 0.667, 0.689, 0.696 of the shipped direction at
# lr 0.006, 0.007, 0.008 (400 steps), and 600 steps at lr 0.005 moved less than 400 (0.644 against
# 0.664) with less leak: training longer trades move for leak. Here lr 0.008 and 0.01 at 300 steps,
# lr 0.01 and 0.012 at 400. LIMIT: seconds this call may run (the session's device time left).
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
mkdir -p "$OUT/logs" "$OUT/dirs"
left() { echo $(( ${LIMIT:-420} - ($(date +%s) - T0) )); }
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --keep-by-classifier --only hair_length --find-param batch_size=128 --find-param start=conditioned --find-param isolation=0 --find-param others_weight=2"
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common $opt "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
text hair-keepclf-cond-ow2-lr008-s300 --find-param lr=0.008 --find-param steps=300 &
text hair-keepclf-cond-ow2-lr010-s300 --find-param lr=0.01 --find-param steps=300 &
text hair-keepclf-cond-ow2-lr010 --find-param lr=0.01 --find-param steps=400 &
text hair-keepclf-cond-ow2-lr012 --find-param lr=0.012 --find-param steps=400 &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT"/logs/*.out
cd "$OUT" && tar czf s17c.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
