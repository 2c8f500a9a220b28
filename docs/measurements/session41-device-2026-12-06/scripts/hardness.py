"""A painting preset's truth figures with its coverage hardness changed in the exported
graph (the sigmoid's scale; training never sees it): region error / outside / judge
ratio / others through apply at each of the manifest's strengths and truth amounts.
argv: preset-dir hardness..."""
import json, sys
from pathlib import Path
import numpy as np
import onnx
from onnx import numpy_helper
from latentroom.plugins.toyfaces.classifier import load
from latentroom.plugins.toyfaces.evaluate_preset import evaluate_edit, applied_edit

src = Path(sys.argv[1])
manifest = json.loads((src / "preset.json").read_text())
truth = manifest["x-distill"]["quality"]["truth"]
judge = load("cpu", arch="judge")
for hardness in map(float, sys.argv[2:]):
    model = onnx.load(src / "model.onnx")
    for init in model.graph.initializer:
        if init.name == "val_36":  # the Mul before the coverage Sigmoid in the shipped export
            assert numpy_helper.to_array(init).item() == 8.0
            init.CopyFrom(numpy_helper.from_array(np.array(hardness, np.float32), init.name))
    data = model.SerializeToString()
    edit = applied_edit(data, manifest["alignment"])
    cells = []
    for strength, amount in truth["truth_amounts"].items():
        f, _ = evaluate_edit(edit, truth["attribute"], float(strength), amount, judge, 500, seed=truth["eval_seed"])
        j = f.to_json()
        cells.append(f"{strength}: " + " / ".join(f"{j[k]:.3f}" for k in ("region_error", "outside_change", "judge_target_ratio", "judge_other_change")))
    print(f"hardness {hardness:g} |", " | ".join(cells), flush=True)
