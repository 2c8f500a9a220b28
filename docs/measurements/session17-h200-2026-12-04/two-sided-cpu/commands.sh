# Session 17 (2026-12-04), shared 2-core CPU: the two-sided per-face correction (glasses) against the
# one-sided one of call B and the plain direction. Run from the repository root; outputs beside this file.
source .venv/bin/activate
D=docs/measurements/session17-h200-2026-12-04
R=docs/measurements/session16-h200-2026-12-04/call-a/teachers/glasses-region.png
latentroom direction find inverted-truth -a glasses --layers coarse --samples 2000 --param correction=128 --device cpu -o $D/two-sided-cpu/glasses-k128-two-sided.json
python $D/sides_probe.py plugins/directions/shipped/glasses-from-truth.json $D/call-b/dirs/glasses-k128-read.json $D/two-sided-cpu/glasses-k128-two-sided.json > $D/two-sided-cpu/sides-probe-directions.txt
for f in $D/two-sided-cpu/glasses-k128-two-sided.json $D/call-b/dirs/glasses-k128-read.json; do
  python scripts/teacher_pair_leakage.py $f --strength 2 --region $R; done > $D/two-sided-cpu/pairs-at-2.txt
for f in $D/two-sided-cpu/glasses-k128-two-sided.json $D/call-b/dirs/glasses-k128-read.json plugins/directions/shipped/glasses-from-truth.json; do
  python scripts/teacher_pair_leakage.py $f --strength -2 --region $R; done > $D/two-sided-cpu/pairs-at-minus-2.txt
for name in glasses-k128-two-sided; do
  latentroom toyfaces evaluate-direction $D/two-sided-cpu/$name.json --region $R --inverter encoder --strength 2 --strength -2 --images 100 --amount-samples 32 --device cpu --json $D/two-sided-cpu/$name-eval.json --sheet $D/two-sided-cpu/$name.png
done
latentroom toyfaces evaluate-direction $D/call-b/dirs/glasses-k128-read.json --region $R --inverter encoder --strength 2 --strength -2 --images 100 --amount-samples 32 --device cpu --json $D/two-sided-cpu/glasses-k128-read-eval.json
latentroom toyfaces evaluate-direction plugins/directions/shipped/glasses-from-truth.json --region $R --inverter encoder --strength 2 --strength -2 --images 100 --amount-samples 32 --device cpu --json $D/two-sided-cpu/glasses-plain-eval.json
# Beard: the shipped teacher (beard-from-truth, strength 3, a hard-edged region) against a two-sided corrected one.
latentroom toyfaces region beard --feather 0 -o $D/two-sided-cpu/beard-region.png
latentroom direction find inverted-truth -a beard --layers coarse --samples 2000 --param correction=128 --device cpu -o $D/two-sided-cpu/beard-k128-two-sided.json
for f in plugins/directions/shipped/beard-from-truth.json $D/two-sided-cpu/beard-k128-two-sided.json; do
  for s in 3 -3; do python scripts/teacher_pair_leakage.py $f --strength $s --region $D/two-sided-cpu/beard-region.png; done
done > $D/two-sided-cpu/beard-pairs.txt
for f in plugins/directions/shipped/beard-from-truth.json $D/two-sided-cpu/beard-k128-two-sided.json; do
  latentroom toyfaces evaluate-direction $f --region $D/two-sided-cpu/beard-region.png --inverter encoder --strength 3 --strength -3 --images 100 --amount-samples 32 --device cpu --json $D/two-sided-cpu/$(basename $f .json)-eval.json
done
