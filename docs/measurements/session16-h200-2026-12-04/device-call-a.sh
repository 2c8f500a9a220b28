# Session 16, call A.
# #19: "long hair" named by the text, every other attribute held still by the toyfaces
#      classifier joined after it (--keep-by-classifier), with the shipped hair_length
#      direction's own optimized settings (all layers, batch 128, others_weight 0.5),
#      again with another find seed, and with isolation 0 / others_weight 2.
# #15: smile and glasses directions read off the renderer's true edit through the
#      hybrid inverter (encoder + projector steps) instead of the encoder, judged as
#      teachers through the same inverter beside the shipped ones.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
mkdir -p "$OUT/logs" "$OUT/dirs" "$OUT/teachers"
left() { echo $(( 560 - ($(date +%s) - T0) )); }
common="--device cuda --kinds scorer --samples 512 --batch-size 64 --find-samples 4000"
opt="--find-source optimized --skip-control --opposites --keep-by-classifier --only hair_length --find-param batch_size=128"
text() { name=$1; shift; [ $(left) -gt 60 ] || return 0
         timeout $(left) python3 scripts/measure_text_directions.py $common $opt "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
run() { name=$1; shift; [ $(left) -gt 40 ] || return 0
        echo "$ latentroom $*" >> "$OUT/logs/teachers.out"
        timeout $(left) latentroom "$@" >> "$OUT/logs/teachers.out" 2>&1; echo "[$name rc $? at $(( $(date +%s) - T0 ))s]" >> "$OUT/logs/teachers.out"; }
text hair-keepclf-shipped --find-param others_weight=0.5 &
text hair-keepclf-seed1 --find-param others_weight=0.5 --find-param seed=1 &
text hair-keepclf-iso0 --find-param others_weight=2 --find-param isolation=0 &
( T=$OUT/teachers
  run region-smile toyfaces region smile -o $T/smile-region.png
  run region-glasses toyfaces region glasses -o $T/glasses-region.png
  run find-smile-coarse direction find inverted-truth -a smile --layers coarse --samples 600 --param inverter=hybrid --device cuda -o $T/smile-truth-hybrid-coarse.json
  run eval-smile-shipped toyfaces evaluate-direction plugins/directions/shipped/smile.json --region $T/smile-region.png --inverter hybrid --inverted-truth --strength 6 --images 100 --amount-samples 64 --device cuda --json $T/smile-shipped-6.json --sheet $T/smile-shipped-6.png
  run eval-smile-coarse toyfaces evaluate-direction $T/smile-truth-hybrid-coarse.json --region $T/smile-region.png --inverter hybrid --strength 1 --strength 2 --strength 3 --images 100 --amount-samples 64 --device cuda --json $T/smile-truth-hybrid-coarse.json.eval --sheet $T/smile-truth-hybrid-coarse.png
  run find-glasses-coarse direction find inverted-truth -a glasses --layers coarse --samples 600 --param inverter=hybrid --device cuda -o $T/glasses-truth-hybrid-coarse.json
  run eval-glasses-shipped toyfaces evaluate-direction plugins/directions/shipped/glasses-from-truth.json --region $T/glasses-region.png --inverter hybrid --inverted-truth --strength 2 --images 100 --amount-samples 64 --device cuda --json $T/glasses-shipped-2.json --sheet $T/glasses-shipped-2.png
  run eval-glasses-coarse toyfaces evaluate-direction $T/glasses-truth-hybrid-coarse.json --region $T/glasses-region.png --inverter hybrid --strength 1.5 --strength 2 --images 100 --amount-samples 64 --device cuda --json $T/glasses-truth-hybrid-coarse.json.eval --sheet $T/glasses-truth-hybrid-coarse.png
  run find-smile-07 direction find inverted-truth -a smile --layers 0-7 --samples 600 --param inverter=hybrid --device cuda -o $T/smile-truth-hybrid-07.json
  run eval-smile-07 toyfaces evaluate-direction $T/smile-truth-hybrid-07.json --region $T/smile-region.png --inverter hybrid --strength 1 --strength 2 --images 100 --amount-samples 64 --device cuda --json $T/smile-truth-hybrid-07.json.eval
) &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT"/logs/*.out
cd "$OUT" && tar czf s16a.tgz logs dirs teachers $(ls *.json 2>/dev/null) && rm -rf logs dirs teachers *.json && ls -la "$OUT"
