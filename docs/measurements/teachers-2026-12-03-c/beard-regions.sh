set -u
for m in beard-hard beard-minus-smile-0.1-0 beard-minus-smile-0.05-1; do
  OMP_NUM_THREADS=1 latentroom toyfaces evaluate-direction plugins/directions/shipped/beard-from-truth.json --strength 3 --region out/s13/$m.png --images 100 --amount-samples 32 --device cpu --sheet out/s13/$m-sheet.png --json out/s13/$m.json > out/s13/$m.log 2>&1 &
done
wait
