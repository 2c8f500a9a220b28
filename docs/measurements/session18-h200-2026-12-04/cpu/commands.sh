# Session 18 (2026-12-04), shared 2-core CPU: the figures beside the device calls. Run from the
# repository root with .venv active; outputs in this folder unless named otherwise.
D=docs/measurements/session18-h200-2026-12-04
# The presets shipped before this session, at the opposite of their default strength (their
# manifests predate those figures): 500 held-out renders.
# (glasses: run before the glasses preset was replaced, i.e. at ae083eb)
latentroom toyfaces evaluate presets/glasses --direction plugins/directions/shipped/glasses-from-truth.json --strength -2 --device cpu --json $D/cpu/glasses-before-at-minus-2.json
latentroom toyfaces evaluate presets/beard --direction plugins/directions/shipped/beard-from-truth.json --strength -3 --device cpu --json $D/cpu/beard-shipped-at-minus-3.json
# How much of the input's error a slightly imperfect truth leaves (moved, blurred, scaled).
python $D/region_error_tolerance.py > $D/region-error-tolerance.txt
# The glasses presets' region error split into the frames and the rest; the judge's eye size.
git show ae083eb:presets/glasses/model.onnx > /tmp/glasses-before.onnx
python $D/glasses_error_breakdown.py /tmp/glasses-before.onnx presets/glasses/model.onnx > $D/glasses-error-breakdown.txt
# Beard removal at -3 on ~300 bearded renders per seed: the shipped preset (presets/beard/model.onnx)
# and the students of call A and call B (their models, 4.5 MB each, are not kept).
python $D/removal_rates.py beard-shipped.onnx beard-call-a.onnx beard-call-b.onnx > $D/cpu/beard-removal-rates.txt
# The glasses direction on more layers: teacher pairs at +2 (the eye-size leak stays).
for L in 0-5 all; do
  latentroom direction find inverted-truth -a glasses --layers $L --samples 2000 --param correction=128 --device cpu -o /tmp/glasses-$L.json
  python scripts/teacher_pair_leakage.py /tmp/glasses-$L.json --strength 2 --region $D/call-a/logs/regions/glasses.png > $D/cpu/pairs-glasses-layers-$L.txt
done
# The true edit as an inverter reads it, regenerated: the encoder (120 renders) and the hybrid (32; 7 min).
python $D/glasses_eye_floor.py plugins/directions/shipped/glasses-k128-two-sided.json $D/call-a/logs/regions/glasses.png > $D/cpu/glasses-eye-floor.txt
python $D/glasses_eye_floor.py plugins/directions/shipped/glasses-k128-two-sided.json $D/call-a/logs/regions/glasses.png hybrid 32 > $D/cpu/glasses-eye-floor-hybrid-32.txt
# A plain direction (no correction) from the true edit read by the hybrid inverter against the encoder,
# 64 faces each (the hybrid's 128 inversions took ~20 min here), and their teacher pairs at +2.
latentroom direction find inverted-truth -a glasses --layers coarse --samples 64 --param inverter=hybrid --device cpu -o /tmp/glasses-hybrid-64.json
latentroom direction find inverted-truth -a glasses --layers coarse --samples 64 --device cpu -o /tmp/glasses-encoder-64.json
for n in hybrid encoder; do
  python scripts/teacher_pair_leakage.py /tmp/glasses-$n-64.json --strength 2 --region $D/call-a/logs/regions/glasses.png > $D/cpu/pairs-glasses-plain-$n-64.txt
done
