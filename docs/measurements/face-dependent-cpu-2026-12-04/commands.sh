# Session 16 (2026-12-04), shared 2-core CPU: the per-face correction of inverted-truth against the plain direction, through the encoder.
# Run from the repository root; each evaluate-direction line wrote NAME-eval.json and NAME.png here.
cd /work/main && source .venv/bin/activate
D=docs/measurements/face-dependent-cpu-2026-12-04
R=docs/measurements/session16-h200-2026-12-04/call-a/teachers
mkdir -p $D
run() { echo "$ latentroom $*"; latentroom "$@" 2>&1 | grep -v "^evaluate:"; }
run direction find inverted-truth -a glasses --layers coarse --samples 2000 --device cpu -o $D/glasses-plain.json
run direction find inverted-truth -a glasses --layers coarse --samples 2000 --param correction=32 --device cpu -o $D/glasses-k32.json
run direction find inverted-truth -a glasses --layers coarse --samples 2000 --param correction=128 --device cpu -o $D/glasses-k128.json
run direction find inverted-truth -a smile --layers coarse --samples 1000 --device cpu -o $D/smile-plain.json
run direction find inverted-truth -a smile --layers coarse --samples 1000 --param correction=32 --device cpu -o $D/smile-k32.json
for name in glasses-plain glasses-k32 glasses-k128; do
  run toyfaces evaluate-direction $D/$name.json --region $R/glasses-region.png --inverter encoder --strength 1.5 --strength 2 --images 100 --amount-samples 32 --device cpu --json $D/$name-eval.json --sheet $D/$name.png
done
run toyfaces evaluate-direction $D/glasses-plain.json --region $R/glasses-region.png --inverter encoder --inverted-truth --strength 1.5 --images 100 --amount-samples 32 --device cpu --json $D/glasses-inverted-truth-eval.json
for name in smile-plain smile-k32; do
  run toyfaces evaluate-direction $D/$name.json --region $R/smile-region.png --inverter encoder --strength 1 --strength 2 --images 100 --amount-samples 32 --device cpu --json $D/$name-eval.json --sheet $D/$name.png
done
run toyfaces evaluate-direction $D/smile-plain.json --region $R/smile-region.png --inverter encoder --inverted-truth --strength 1 --images 100 --amount-samples 32 --device cpu --json $D/smile-inverted-truth-eval.json
