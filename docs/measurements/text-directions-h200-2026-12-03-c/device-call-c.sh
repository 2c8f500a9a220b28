# Session 14, call C: glasses and beard on the coarse layers: linear-boundary on the texts'
# labels, and optimized with a heavier leak penalty, more steps and a larger learning rate.
set -u
T0=$(date +%s)
source .device-carry/setup.sh
mkdir -p "$OUT/logs" "$OUT/dirs"
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --find-param batch_size=128 --find-param layers=coarse --find-param isolation=0 --find-param steps=300 --find-param lr=0.02"
run() { name=$1; shift; left=$(( 420 - ($(date +%s) - T0) )); [ $left -gt 60 ] || return 0
       timeout $left python3 scripts/measure_text_directions.py $common "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
# Four processes: eight side by side ran out of the GPU's memory (up to 27 GB each).
run boundary-coarse --find-source linear-boundary --only glasses,beard,smile --find-param layers=coarse &
run glasses-coarse-ow10 $opt --only glasses --find-param others_weight=10 &
run beard-coarse-ow10 $opt --only beard --find-param others_weight=10 &
run beard-coarse-ow30 $opt --only beard --find-param others_weight=30 &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT"/logs/*.out
cd "$OUT" && tar czf s14c.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
