"""How far is the generator's bf16 synthesis (the CUDA teacher's) from its fp32 one, and
how much of a pair's bf16 change is rounding rather than edit? CPU bf16 autocast here."""
import numpy as np, torch
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.toyfaces.regions import attribute_region
torch.set_num_threads(2)
g = resolve_generator("toyfaces", torch.device("cpu"))
d = np.load("ghost-glasses.npz"); w = torch.from_numpy(d["w"]); n = len(w) // 2
with torch.no_grad():
    f32 = g.synthesis(w, noise_mode="const").clamp(-1, 1)
    with torch.autocast("cpu", torch.bfloat16):
        b16 = g.synthesis(w, noise_mode="const").float().clamp(-1, 1)
mse = ((f32 - b16) ** 2).mean((1, 2, 3))
print("bf16 vs fp32 psnr per image", (10 * torch.log10(4 / mse)).numpy().round(1))
print("max abs diff levels", ((f32 - b16).abs().amax((1, 2, 3)) * 127.5).numpy().round(1))
region = torch.from_numpy(attribute_region("glasses", 128))[None, None] > 0.5
c32, c16 = f32[n:] - f32[:n], b16[n:] - b16[:n]
err = (((c32 - c16) ** 2) * region).sum((1, 2, 3)) / (region.sum() * 3)
print("pair change bf16 vs fp32, region psnr", (10 * torch.log10(4 / err)).numpy().round(1))
