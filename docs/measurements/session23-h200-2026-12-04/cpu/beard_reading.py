import numpy as np, torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params, attribute_matrix
torch.set_num_threads(2)
N = list(ATTRIBUTE_NAMES)
g = resolve_generator("toyfaces", torch.device("cpu")); judge = load_network("cpu", arch="judge")
col = N.index("beard")
params = sample_params(EVAL_SEED, 100)
faces = [5, 10, 12, 2, 3]
chosen = {k: v[faces] for k, v in params.items()}
am = attribute_matrix(chosen)
print({a: am[:, N.index(a)].round(2).tolist() for a in ("face_width", "skin_tone", "hair_color", "hair_length", "age", "smile")})
truth = render(edit(chosen, "beard", 1.0), 128)
print("judge truth", judge.predict(truth)[:, col].round(2))
x = torch.from_numpy(to_model(truth))
rows = [truth]
for name, opts in [("encoder", None), ("hybrid lr 0.005", dict(lr=0.005)), ("hybrid lr 0.01", dict(lr=0.01))]:
    inv = get_inverter("encoder").value(g, g.device) if opts is None else get_inverter("hybrid").value(g, g.device, **opts)
    w = inv.invert(x)
    with torch.no_grad():
        img = g.synthesis(w, noise_mode="const").clamp(-1, 1)
    px = ((img.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
    rows.append(px)
    print(name, "judge", judge.predict(px)[:, col].round(2), flush=True)
from PIL import Image; Image.fromarray(np.concatenate([np.concatenate(list(r), 1) for r in rows], 0)).save("beard-reading.png")
