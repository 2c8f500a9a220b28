# Session 14, call B: a binding leak penalty for glasses and beard on the coarse layers;
# smile and hair kept still by the text scorer's rest=on; hair without the fine layers.
set -u
T0=$(date +%s)
source .device-carry/setup.sh
mkdir -p "$OUT/logs" "$OUT/dirs"
common="--device cuda --kinds scorer --find-source optimized --samples 512 --batch-size 64 --find-samples 4000 --skip-control --find-param batch_size=128"
run() { name=$1; shift; left=$(( 540 - ($(date +%s) - T0) )); [ $left -gt 60 ] || return 0
       timeout $left python3 scripts/measure_text_directions.py $common "$@" --save-directions "$OUT/dirs/$name" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
# Four processes: eight side by side ran out of the GPU's memory (up to 27 GB each).
( run glasses-coarse-iso0 --only glasses --find-param layers=coarse --find-param isolation=0 --find-param others_weight=2
  run smile-coarse-rest-ow0.05 --only smile --find-param layers=coarse --find-param isolation=0 --find-param others_weight=0.05 --keep-rest ) &
( run beard-coarse-iso0 --only beard --find-param layers=coarse --find-param isolation=0 --find-param others_weight=2
  run smile-coarse-rest-ow0.01 --only smile --find-param layers=coarse --find-param isolation=0 --find-param others_weight=0.01 --keep-rest ) &
( run hair-l07-iso0-unnamed --only hair_length --find-param layers=0-7 --find-param isolation=0 --find-param others_weight=2 --keep-unnamed
  run hair-coarse-iso0-unnamed --only hair_length --find-param layers=coarse --find-param isolation=0 --find-param others_weight=2 --keep-unnamed ) &
( run hair-l07-rest-ow0.02 --only hair_length --find-param layers=0-7 --find-param isolation=0 --find-param others_weight=0.02 --keep-rest
  run beard-coarse-rest-ow0.02 --only beard --find-param layers=coarse --find-param isolation=0 --find-param others_weight=0.02 --keep-rest ) &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT"/logs/*.out
cd "$OUT" && tar czf s14b.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
