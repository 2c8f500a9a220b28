import sys, numpy as np, torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params
torch.set_num_threads(2)
attr, faces, lrs = sys.argv[1], [int(v) for v in sys.argv[2].split(",")], [float(v) for v in sys.argv[3].split(",")]
g = resolve_generator("toyfaces", torch.device("cpu")); judge = load_network("cpu", arch="judge")
col = list(ATTRIBUTE_NAMES).index(attr)
params = sample_params(EVAL_SEED, 100)
chosen = {k: v[faces] for k, v in params.items()}
truth = render(edit(chosen, attr, 1.0), 128)
x = torch.from_numpy(to_model(truth))
for lr in lrs:
    w = get_inverter("hybrid").value(g, g.device, lr=lr).invert(x)
    with torch.no_grad():
        img = g.synthesis(w, noise_mode="const").clamp(-1, 1)
    px = ((img.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
    mse = ((px.astype(float) - truth) ** 2).mean((1, 2, 3))
    print(attr, "lr", lr, "judge", judge.predict(px)[:, col].round(2).tolist(), "psnr", np.mean(10 * np.log10(255**2 / mse)).round(2), flush=True)
