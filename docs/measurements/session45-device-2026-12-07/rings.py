"""Glasses presets' rings against the truth on held-out renders lacking glasses (seed
91,000): PSNR over the pixels the truth changes by > 8 levels, the share of the truth's
change made there (median of the per-face projection), and the pixels changed by > 24
levels over the truth's count (a thicker ring changes more). Each preset alone at its
default, and through an apply-like shift (both images moved by 0.5 px bicubically).
argv: count preset-dir..."""
import json, sys
import numpy as np
from PIL import Image
from latentroom.plugins.toyfaces.evaluate_preset import preset_edit
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
count, presets = int(sys.argv[1]), sys.argv[2:]
params = sample_params(91000, 3 * count)
keep = np.flatnonzero(params["glasses"] == 0)[:count]
params = {k: v[keep] for k, v in params.items()}
before, truth = render(params, 128), render(edit(params, "glasses", 1.0), 128)


def shift(images):
    return np.stack([np.asarray(Image.fromarray(a).transform(a.shape[:2][::-1], Image.AFFINE, (1, 0, 0.5, 0, 1, 0.5), Image.BICUBIC)) for a in images])


for name, (x, t) in {"rendered": (before, truth), "shifted": (shift(before), shift(truth))}.items():
    for preset in presets:
        default = json.load(open(f"{preset}/preset.json"))["strength"]["default"]
        y = preset_edit(open(f"{preset}/model.onnx", "rb").read())(x, default).astype(float)
        d_true, d_out = t.astype(float) - x, y - x
        mask = np.abs(d_true).max(-1) > 8
        mse = ((y - t) ** 2)[mask].mean()
        shares = [(d_out[i][mask[i]] * d_true[i][mask[i]]).sum() / (d_true[i][mask[i]] ** 2).sum() for i in range(len(x))]
        thick = (np.abs(d_out).max(-1) > 24).sum() / (np.abs(d_true).max(-1) > 24).sum()
        print(f"{name} {preset}: {10 * np.log10(255 ** 2 / mse):.2f} dB, share {np.median(shares):.3f}, thick {thick:.3f}")
