import time, numpy as np, torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params
torch.set_num_threads(2)
g = resolve_generator("toyfaces", torch.device("cpu")); judge = load_network("cpu", arch="judge")
col = list(ATTRIBUTE_NAMES).index("glasses")
params = sample_params(EVAL_SEED, 100)
faces = [3, 4, 25, 51, 67, 86]
chosen = {k: v[faces] for k, v in params.items()}
truth = render(edit(chosen, "glasses", 1.0), 128)
x = torch.from_numpy(to_model(truth))
rows = [truth]
for opts in [dict(), dict(feature_weight=0.0), dict(lr=0.02), dict(pixel_weight=0.0)]:
    t = time.time()
    inv = get_inverter("hybrid").value(g, g.device, **opts)
    w = inv.invert(x)
    with torch.no_grad():
        img = g.synthesis(w, noise_mode="const").clamp(-1, 1)
    px = ((img.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
    mse = ((px.astype(float) - truth) ** 2).mean((1, 2, 3))
    print(opts, inv.features_used, "judge", judge.predict(px)[:, col].round(2), "psnr", (10 * np.log10(255**2 / mse)).round(1), f"{time.time()-t:.0f}s", flush=True)
    rows.append(px)
from PIL import Image; Image.fromarray(np.concatenate([np.concatenate(list(r), 1) for r in rows], 0)).save("hybrid-options.png")
