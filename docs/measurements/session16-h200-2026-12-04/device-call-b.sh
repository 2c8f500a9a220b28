# Session 16, call B.
# #19: call A's long-hair finds started from the conditioned mean difference
#      (optimized start=conditioned): with the classifier holding the rest still, at the
#      shipped hair_length direction's settings and at isolation 0 / others_weight 2;
#      and texts only (other attributes' texts against their opposites, unnamed ones too).
# #15: call A's smile direction read off the hybrid-inverted truth at larger strengths,
#      and glasses read the same way on all layers.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
A=docs/measurements/session16-h200-2026-12-04/call-a/teachers
mkdir -p "$OUT/logs" "$OUT/dirs" "$OUT/teachers"
left() { echo $(( 470 - ($(date +%s) - T0) )); }
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --only hair_length --find-param batch_size=128 --find-param start=conditioned"
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common $opt "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
run() { name=$1; shift; [ $(left) -gt 30 ] || return 0
        echo "$ latentroom $*" >> "$OUT/logs/teachers.out"
        timeout $(left) latentroom "$@" >> "$OUT/logs/teachers.out" 2>&1; echo "[$name rc $? at $(( $(date +%s) - T0 ))s]" >> "$OUT/logs/teachers.out"; }
text hair-keepclf-cond --keep-by-classifier --find-param others_weight=0.5 &
text hair-keepclf-cond-iso0 --keep-by-classifier --find-param others_weight=2 --find-param isolation=0 &
text hair-texts-cond-iso0 --keep-unnamed --find-param others_weight=2 --find-param isolation=0 &
( T=$OUT/teachers
  run eval-smile-coarse-456 toyfaces evaluate-direction $A/smile-truth-hybrid-coarse.json --region $A/smile-region.png --inverter hybrid --strength 4 --strength 5 --strength 6 --images 100 --amount-samples 64 --device cuda --json $T/smile-truth-hybrid-coarse-456.json --sheet $T/smile-truth-hybrid-coarse-5.png
  run find-glasses-all direction find inverted-truth -a glasses --layers all --samples 600 --param inverter=hybrid --device cuda -o $T/glasses-truth-hybrid-all.json
  run eval-glasses-all toyfaces evaluate-direction $T/glasses-truth-hybrid-all.json --region $A/glasses-region.png --inverter hybrid --strength 1 --strength 2 --images 100 --amount-samples 64 --device cuda --json $T/glasses-truth-hybrid-all.json.eval --sheet $T/glasses-truth-hybrid-all.png
) &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT"/logs/*.out
cd "$OUT" && tar czf s16b.tgz logs dirs teachers $(ls *.json 2>/dev/null) && rm -rf logs dirs teachers *.json && ls -la "$OUT"
