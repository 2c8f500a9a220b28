# Session 15, call D: the composed edit as two texts, each of which the optimized
# source must raise (its new composed attribute, age+smile), against opposites.
set -u
T0=$(date +%s)
source .device-carry/setup.sh
mkdir -p "$OUT/logs" "$OUT/dirs"
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --keep-unnamed --find-param batch_size=128 --find-param isolation=0 --find-param layers=0-7"
left() { echo $(( 280 - ($(date +%s) - T0) )); }
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
text composed-parts-ow2 $opt --only "age+smile (sum)" --find-param others_weight=2 &
text composed-parts-ow05 $opt --only "age+smile (sum)" --find-param others_weight=0.5 &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 2 "$OUT"/logs/*.out
cd "$OUT" && tar czf s15d.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
