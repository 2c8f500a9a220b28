"""The shipped glasses student against its teacher on faces it trained on and on the
held-out faces of the same pairs file (the find's renders, read again here by the
hybrid at lr 0.02): does it fit the first far better (it saw 3,744 faces ~1,100 times)?"""
import sys
import numpy as np, torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.export import psnr_where_edited, run_onnx, session
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
from latentroom.plugins.toyfaces.truth_direction import TRUTH_DIRECTION_SEED
torch.set_num_threads(2)
attr, n, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
strength = float(sys.argv[4])
params = sample_params(TRUTH_DIRECTION_SEED, 4000)
lacking = np.flatnonzero(params[attr] < 0.5)
sets = {"trained": lacking[lacking < 3744][:n], "held out": lacking[lacking >= 3744][:n]}
g = resolve_generator("toyfaces", torch.device("cpu"))
hyb = get_inverter("hybrid").value(g, g.device, lr=lr)
region = torch.from_numpy(attribute_region(attr, 128))[None, None]
sess = session(open(f"/work/main/presets/{attr}/model.onnx", "rb").read())
for name, idx in sets.items():
    p = {k: v[idx] for k, v in params.items()}
    images = torch.from_numpy(to_model(np.concatenate([render(p, 128), render(edit(p, attr, 1.0), 128)])))
    w = hyb.invert(images)
    with torch.no_grad():
        G = g.synthesis(w, noise_mode="const").clamp(-1, 1)
    x, y = G[:n], G[:n] + region * (G[n:] - G[:n])
    out = run_onnx(sess, x.numpy(), np.full(n, strength, np.float32))
    print(f"{name} faces {idx.tolist()}: student vs teacher on edited pixels {psnr_where_edited(x.numpy(), y.numpy(), out):.2f} dB "
          f"(identity {psnr_where_edited(x.numpy(), y.numpy(), x.numpy()):.2f})", flush=True)
    np.savez(f"trainheld-{attr}-{name.replace(' ', '')}.npz", x=x.numpy(), y=y.numpy(), out=out)
