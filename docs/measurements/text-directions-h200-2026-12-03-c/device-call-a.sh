# Session 14, call A: optimized text directions with the shipped directions' layers and
# a binding leak penalty (isolation 0), 8 processes side by side, no classifier control.
set -u
T0=$(date +%s)
source .device-carry/setup.sh
mkdir -p "$OUT/logs" "$OUT/dirs"
common="--device cuda --kinds scorer --find-source optimized --samples 512 --batch-size 64 --find-samples 4000 --skip-control --save-directions $OUT/dirs --find-param batch_size=128"
run() { name=$1; shift; left=$(( 540 - ($(date +%s) - T0) )); [ $left -gt 60 ] || return 0
       timeout $left python3 scripts/measure_text_directions.py $common "$@" --out "$OUT/$name.json" > "$OUT/logs/$name.out" 2>&1; }
# Four processes: eight side by side ran out of the GPU's memory (up to 27 GB each).
( run glasses-coarse --only glasses --find-param layers=coarse --find-param others_weight=0.5
  run smile-coarse-iso0-unnamed --only smile --find-param layers=coarse --find-param isolation=0 --find-param others_weight=2 --keep-unnamed ) &
( run beard-coarse --only beard --find-param layers=coarse --find-param others_weight=0.5
  run hair-iso0-unnamed --only hair_length --find-param isolation=0 --find-param others_weight=2 --keep-unnamed ) &
( run smile-coarse --only smile --find-param layers=coarse --find-param others_weight=0.5
  run age-middle --only age --find-param layers=middle --find-param others_weight=0.5 ) &
( run hair-iso0 --only hair_length --find-param isolation=0 --find-param others_weight=2
  run smile-coarse-iso0 --only smile --find-param layers=coarse --find-param isolation=0 --find-param others_weight=2 ) &
wait
echo "all done at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT"/logs/*.out
cd "$OUT" && tar czf s14a.tgz logs dirs $(ls *.json 2>/dev/null) && rm -rf logs dirs *.json && ls -la "$OUT"
