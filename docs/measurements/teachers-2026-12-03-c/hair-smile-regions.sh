set -u
run() { # name direction strength region-args...
  local name=$1 dir=$2 st=$3; shift 3
  latentroom toyfaces region "$@" -o out/s13/$name.png >/dev/null
  OMP_NUM_THREADS=1 latentroom toyfaces evaluate-direction plugins/directions/shipped/$dir.json --strength $st --region out/s13/$name.png --images 100 --amount-samples 32 --device cpu --sheet out/s13/$name-sheet.png --json out/s13/$name.json > out/s13/$name.log 2>&1
}
run hair-s05 hair_length 8 hair_length --share 0.05 --feather 0 &
run hair-s10 hair_length 8 hair_length --share 0.1 --feather 0 &
wait
run hair-s20 hair_length 8 hair_length --share 0.2 --feather 0 &
run smile-s10 smile 6 smile --share 0.1 &
wait
run smile-s01 smile 6 smile &
run smile-s30 smile 6 smile --share 0.3 --grow 1 &
wait
