"""Two hair_length presets through `apply` at their defaults against the same truths:
the renderer's true edit at each AMOUNT (the shipped preset's own truth is 0.2305).
Figures: region error / outside change / judge ratio / others. argv: images amounts
(comma list) preset-dir...; run from the repository root."""
import sys
from pathlib import Path
from latentroom.engine.presets import load_preset
from latentroom.plugins.toyfaces.evaluate_preset import measure_methods, truth_setup

images, amounts, presets = int(sys.argv[1]), [float(a) for a in sys.argv[2].split(",")], sys.argv[3:]
generator, judge, direction, _ = truth_setup("cpu", Path("plugins/directions/shipped/hair_length.json"), None)
loaded = {preset: load_preset(preset) for preset in presets}
for amount in amounts:
    for preset, bundle in loaded.items():
        default = bundle.manifest["strength"]["default"]
        methods = {"applied": lambda pixels, s, p=bundle: p.apply(pixels, strength=s)}
        figures, *_ = measure_methods(methods, direction, [default], generator, judge, None, images,
                                      amount_of=lambda s, a=amount: a)
        (only,) = figures["applied"].values()
        j = only.to_json()
        print(f"truth {amount}: {preset} at {default}: " + " / ".join(
            f"{j[k]:.3f}" for k in ("region_error", "outside_change", "judge_target_ratio", "judge_other_change")), flush=True)
