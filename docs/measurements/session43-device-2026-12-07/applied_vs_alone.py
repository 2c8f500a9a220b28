"""How much of the bundled glasses' ring softness is apply's resampling: the preset run
alone on 200 held-out renders lacking glasses (the evaluation's seed) against the same
preset through apply (crop, edit, carry back). PSNR to the truth over the pixels it
changes by > 8 levels. argv: preset-dir"""
import sys
import numpy as np
from latentroom.engine.presets import load_preset
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params

params = sample_params(60000, 800)
x, y = render(params, 128), render(edit(params, "glasses", 1.0), 128)
lacking = np.abs(x.astype(int) - y).mean((1, 2, 3)) > 0.3
x, y = x[lacking][:200], y[lacking][:200]
preset = load_preset(sys.argv[1], provider="cpu")
s = preset.manifest["strength"]["default"]


def psnr(out):
    change = np.sqrt(((y.astype(float) - x) ** 2).sum(-1))
    edited = change > 8
    mse = ((out.astype(float) - y) ** 2).mean(-1)[edited].mean()
    return 10 * np.log10(255 ** 2 / mse)


alone, applied = preset.run(x, s), preset.apply(x, strength=s)
print(f"{len(x)} renders lacking glasses; identity {psnr(x):.2f} dB")
print(f"alone {psnr(alone):.2f} dB, applied {psnr(applied):.2f} dB")
