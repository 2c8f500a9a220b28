# Session 15, call B: text directions against opposites (call A's recipe) for age, and
# beard and long hair under other leak penalties; smile and glasses repeated with
# another find seed to see how much a find varies.
set -u
T0=$(date +%s)
source .device-carry/setup.sh
mkdir -p "$OUT/logs" "$OUT/dirs"
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --keep-unnamed --find-param batch_size=128 --find-param isolation=0"
left() { echo $(( 540 - ($(date +%s) - T0) )); }
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
( text age-opp $opt --only age --find-param layers=middle --find-param others_weight=2
  text beard-opp-ow10 $opt --only beard --find-param layers=coarse --find-param others_weight=10 ) &
( text beard-opp-ow05 $opt --only beard --find-param layers=coarse --find-param others_weight=0.5
  text hair-opp-ow10 $opt --only hair_length --find-param others_weight=10 ) &
( text smile-opp-seed1 $opt --only smile --find-param layers=coarse --find-param others_weight=2 --find-param seed=1
  text glasses-opp-seed1 $opt --only glasses --find-param layers=coarse --find-param others_weight=2 --find-param seed=1 ) &
( text hair-opp-l07 $opt --only hair_length --find-param layers=0-7 --find-param others_weight=2
  text composed-opp $opt --only age+smile --find-param layers=0-7 --find-param others_weight=2 ) &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 2 "$OUT"/logs/*.out
cd "$OUT" && tar czf s15b.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
