"""A preset's truth figures two ways: its network run on the held-out renders as they are
(what author's evaluation measures) and through `latentroom apply`, which finds and aligns
each face to the preset's face template first. For a binary attribute, also which renderer
parameters the faces it fails to put the attribute on have, on average.

    python apply_path.py PRESET_DIR ATTRIBUTE STRENGTH [STRENGTH ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

from latentroom.engine.presets import load_preset
from latentroom.plugins.toyfaces.classifier import load
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED, evaluate_edit, preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, ATTRIBUTE_SPECS, sample_params

IMAGES = 500
BREAKDOWN = ("skin_tone", "face_width", "age", "hair_color", "pose", "eye_size")


def missed_faces(sets: dict, judge, attribute: str) -> str:
    """Mean renderer parameters of the faces that lacked the attribute, split by whether
    the judge sees it after the edit."""
    params = sample_params(EVAL_SEED, IMAGES)
    lacked = params[attribute] < 0.5
    seen = judge.predict(sets["output"][lacked])[:, ATTRIBUTE_NAMES.index(attribute)] > 0.5
    return "  ".join(f"{k} {params[k][lacked][seen].mean():.2f}/{params[k][lacked][~seen].mean():.2f}"
                     for k in BREAKDOWN) + "  (seen/missed)"


def main(path: str, attribute: str, strengths: list[float]) -> None:
    judge = load("cpu", arch="judge")
    preset = load_preset(path, provider="cpu")
    ways = {"model": preset_edit((Path(path) / "model.onnx").read_bytes()),
            "apply": lambda pixels, s: preset.apply(pixels, strength=s)}
    binary = ATTRIBUTE_SPECS[attribute].kind == "binary"
    for strength in strengths:
        for way, edit in ways.items():
            # A continuous attribute's truth amount would come from the direction; this
            # script compares the two ways only, so it is given for binary attributes.
            figures, sets = evaluate_edit(edit, attribute, strength, 0.0, judge, IMAGES)
            shown = {k: round(v, 3) for k, v in figures.to_json().items() if k != "outside_psnr"}
            print(f"{Path(path).name} {way:5s} {strength:+.3f} {shown}")
            if binary and strength > 0:
                print(f"    {missed_faces(sets, judge, attribute)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3:]])
