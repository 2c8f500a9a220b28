"""Memorise 16 hybrid teacher pairs (the trained and held-out faces read above):
can the student represent the generator's frames at all?"""
import time
import numpy as np, torch
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.student import Student, StudentConfig
torch.set_num_threads(2); torch.manual_seed(0)
a, b = np.load("trainheld-glasses-trained.npz"), np.load("trainheld-glasses-heldout.npz")
x = torch.from_numpy(np.concatenate([a["x"], b["x"]])); y = torch.from_numpy(np.concatenate([a["y"], b["y"]]))
m = Student(StudentConfig(strength_scale=0.83)); opt = torch.optim.Adam(m.parameters(), 2e-3, betas=(0.9, 0.99))
s = torch.full((16,), 0.83); t = time.time()
for step in range(1500):
    loss = (m(x, s) - y).pow(2).mean(); opt.zero_grad(); loss.backward(); opt.step()
with torch.no_grad():
    out = m(x, s).numpy()
print(f"{time.time()-t:.0f}s memorised 16 teacher pairs: edited-pixel psnr {psnr_where_edited(x.numpy(), y.numpy(), out):.2f} dB "
      f"(identity {psnr_where_edited(x.numpy(), y.numpy(), x.numpy()):.2f})")
