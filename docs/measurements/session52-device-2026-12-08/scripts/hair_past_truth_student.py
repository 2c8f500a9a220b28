"""Session 52: where a hair_length preset draws past the truth and where it falls short of it,
per face, on held-out renders (seed 91,000). The truth is the renderer's edit the judge reads,
in the mean, as the preset's recorded teacher amount (as evaluation draws it). Per face: the
pixels the preset moves by more than 24 levels where the truth moves at most 8 (drawn past:
stray locks, a band over the shirt), the pixels the truth moves by more than 24 where the
preset moves at most 8 (missed), and the mean |preset change - true change| where the truth
moves by more than 8. Means over all faces, over old short-haired faces (age > 0.6,
hair_length < 0.4, where the stray locks were) and over those whose hair starts 0.6 long or
more (where the new ends meet the shirt). argv: count preset-dir..."""
import json, sys
import numpy as np
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import render, sample_params
from latentroom.plugins.toyfaces.truth import matched_truth_edit, read_matched_move
count, folders = int(sys.argv[1]), sys.argv[2:]
params = sample_params(91000, count)
x = render(params, 128)
judge = classifier.load(arch="judge")
scores = judge.predict(x)
groups = {"all": np.ones(count, bool),
          "old short": (params["age"] > 0.6) & (params["hair_length"] < 0.4),
          "long (>= 0.6)": params["hair_length"] >= 0.6}


def moved(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(-1)


for folder in folders:
    manifest = json.load(open(f"{folder}/preset.json"))
    default = manifest["strength"]["default"]
    recorded = manifest["x-distill"]["latent_pairs"]["teacher_amounts"][f"{default:g}"]
    move = read_matched_move(params, "hair_length", recorded, judge, scores)
    truth = render(matched_truth_edit(params, "hair_length", move), 128)
    student = preset_edit(open(f"{folder}/model.onnx", "rb").read())
    out = np.concatenate([student(x[i:i + 50], default) for i in range(0, count, 50)])
    out_moves, true_moves = moved(out, x), moved(truth, x)
    past = ((out_moves > 24) & (true_moves <= 8)).sum((1, 2))
    missed = ((true_moves > 24) & (out_moves <= 8)).sum((1, 2))
    changes = np.abs((out.astype(np.float32) - x) - (truth.astype(np.float32) - x)).mean(-1)
    inside = true_moves > 8
    error = np.array([changes[i][inside[i]].mean() if inside[i].any() else 0.0 for i in range(count)])
    print(f"{folder} at {default:g}: recorded {recorded:.3f}, truth moved {move:.3f}")
    for name, keep in groups.items():
        print(f"  {name} ({keep.sum()} faces): drawn past {past[keep].mean():.1f} px "
              f"(faces with > 50: {(past[keep] > 50).mean():.3f}), missed {missed[keep].mean():.1f} px, "
              f"error where the truth moves {error[keep].mean():.2f} levels")
