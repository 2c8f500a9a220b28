# Session 15, call C: the composed edit against opposites (one text, and a sum of two
# texts), beard and glasses with the heavier penalty of call B and another find seed.
set -u
T0=$(date +%s)
source .device-carry/setup.sh
mkdir -p "$OUT/logs" "$OUT/dirs"
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --keep-unnamed --find-param batch_size=128 --find-param isolation=0"
left() { echo $(( 400 - ($(date +%s) - T0) )); }
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
text composed-opp-one $opt --only age+smile --find-param layers=0-7 --find-param others_weight=2 &
text composed-opp-sum $opt --only "age+smile (sum)" --find-param layers=0-7 --find-param others_weight=2 &
text beard-opp-ow10-seed1 $opt --only beard --find-param layers=coarse --find-param others_weight=10 --find-param seed=1 &
text glasses-opp-ow10 $opt --only glasses --find-param layers=coarse --find-param others_weight=10 &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 2 "$OUT"/logs/*.out
cd "$OUT" && tar czf s15c.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
