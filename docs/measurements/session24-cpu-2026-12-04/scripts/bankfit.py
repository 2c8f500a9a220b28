"""How well does the encoder-bank student fit its own teacher on held-out faces (edited
pixels, strength at the truth), next to the shipped student on its hybrid teacher?"""
import numpy as np, torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
g = resolve_generator("toyfaces", torch.device("cpu"))
enc = get_inverter("encoder").value(g, g.device)
p = sample_params(55_555, 200); lack = np.flatnonzero(p["glasses"] < 0.5)[:48]
p = {k: v[lack] for k, v in p.items()}
region = torch.from_numpy(attribute_region("glasses", 128))[None, None]
with torch.no_grad():
    w0 = enc.invert(torch.from_numpy(to_model(render(p, 128))))
    w1 = enc.invert(torch.from_numpy(to_model(render(edit(p, "glasses", 1.0), 128))))
    x = g.synthesis(w0, noise_mode="const").clamp(-1, 1); y = x + region * (g.synthesis(w1, noise_mode="const").clamp(-1, 1) - x)
    m = Student(StudentConfig()); m.load_state_dict(torch.load("banktrain-glasses-enc.pt")); m.eval()
    out = m(x, torch.full((len(x),), 3.0))
print(f"encoder-bank student vs its teacher, held-out, edited pixels {psnr_where_edited(x.numpy(), y.numpy(), out.numpy()):.2f} dB "
      f"(identity {psnr_where_edited(x.numpy(), y.numpy(), x.numpy()):.2f})")
