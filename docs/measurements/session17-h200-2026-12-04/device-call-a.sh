# Session 17, call A: session 16 found long-hair directions (text joined with the toyfaces classifier,
# conditioned start) that leak less than the shipped one but move only 0.59-0.66 of it, the move growing
# with lr. Here: lr 0.006/0.007/0.008 at 400 steps and lr 0.005 at 600 steps, others_weight 2.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
mkdir -p "$OUT/logs" "$OUT/dirs"
left() { echo $(( 575 - ($(date +%s) - T0) )); }
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --keep-by-classifier --only hair_length --find-param batch_size=128 --find-param start=conditioned --find-param isolation=0 --find-param others_weight=2"
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common $opt "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
text hair-keepclf-cond-ow2-lr005-s600 --find-param lr=0.005 --find-param steps=600 &
text hair-keepclf-cond-ow2-lr006 --find-param lr=0.006 --find-param steps=400 &
text hair-keepclf-cond-ow2-lr007 --find-param lr=0.007 --find-param steps=400 &
text hair-keepclf-cond-ow2-lr008 --find-param lr=0.008 --find-param steps=400 &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT"/logs/*.out
cd "$OUT" && tar czf s17a.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
