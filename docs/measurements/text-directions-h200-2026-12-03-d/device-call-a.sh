# Session 15, call A. #19: text directions scored against each attribute's opposite
# (scorer FROM -> TO, measure_text_directions --opposites). #15: beard and glasses
# directions optimized through the generator with the toyfaces classifier and a strict
# leak penalty, then what their teacher pairs teach, read by the judge.
set -u
T0=$(date +%s)
source .device-carry/setup.sh
mkdir -p "$OUT/logs" "$OUT/dirs" "$OUT/pairs"
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --keep-unnamed --find-param batch_size=128 --find-param isolation=0 --find-param others_weight=2"
left() { echo $(( 520 - ($(date +%s) - T0) )); }
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
classifier() { name=$1; attribute=$2; shift 2; [ $(left) -gt 60 ] || return 0
         timeout $(left) latentroom direction find optimized -a $attribute --scorer toyfaces-classifier --layers coarse \
             --samples 4000 --device cuda --param batch_size=128 --param isolation=0 "$@" -o "$OUT/dirs/$name.json" --json \
             > "$OUT/logs/$name.out" 2>&1; }
# Four processes (eight ran out of GPU memory in session 14).
( text smile-opp $opt --only smile --find-param layers=coarse; text beard-opp $opt --only beard --find-param layers=coarse ) &
( text hair-opp $opt --only hair_length; text glasses-opp $opt --only glasses --find-param layers=coarse ) &
( text boundary-opp --find-source linear-boundary --opposites --only glasses,beard,smile --find-param layers=coarse
  classifier beard-cls-ow2 beard --param others_weight=2 ) &
( classifier beard-cls-ow10 beard --param others_weight=10; classifier glasses-cls-ow10 glasses --param others_weight=10 ) &
wait
echo "finds done at $(( $(date +%s) - T0 ))s"
latentroom toyfaces region beard --feather 0 -o "$OUT/pairs/beard-region.png" > /dev/null
latentroom toyfaces region glasses -o "$OUT/pairs/glasses-region.png" > /dev/null
pairs() { label=$1; file=$2; attribute=$3; strength=$4; [ -f "$file" ] || return 0
          OMP_NUM_THREADS=2 timeout $(( $(left) + 50 )) python3 scripts/teacher_pair_leakage.py "$file" --strength $strength \
              --region "$OUT/pairs/$attribute-region.png" --samples 192 > "$OUT/pairs/$label.txt" 2>&1; }
S=plugins/directions/shipped
pairs beard-from-truth-3 $S/beard-from-truth.json beard 3 &
pairs glasses-from-truth-2 $S/glasses-from-truth.json glasses 2 &
for s in 2 3; do
  pairs beard-cls-ow2-$s "$OUT/dirs/beard-cls-ow2.json" beard $s &
  pairs beard-cls-ow10-$s "$OUT/dirs/beard-cls-ow10.json" beard $s &
  pairs glasses-cls-ow10-$s "$OUT/dirs/glasses-cls-ow10.json" glasses $s &
done
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 2 "$OUT"/logs/*.out; for f in "$OUT"/pairs/*.txt; do echo "== $f"; cat "$f"; done
cd "$OUT" && tar czf s15a.tgz logs dirs pairs $(ls *.json 2>/dev/null) && rm -rf logs dirs pairs *.json && ls -la "$OUT"
