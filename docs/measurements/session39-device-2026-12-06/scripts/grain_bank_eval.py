"""Bank students on held-out renders (seed 60000, 200): their share of the teacher's
change given the render and given the generator's drawing G(w) (encoder reading), as
domain_share.py; how much of the true change they make beside the face (hair_opacity.py's
alpha, truth amount 0.2305, rows above 110); and a sheet input | each student | truth.
From the repository root, with the region at /tmp/hair-region.png (hair_bank.py).
argv: sheet.png student.pt..."""
import sys
from pathlib import Path
import numpy as np, torch
from PIL import Image
from latentroom.engine.plugins import get_inverter
from latentroom.plugins.directions.edit import edit_latents
from latentroom.plugins.inverters.common import synthesize
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.evaluate_preset import GeneratorPath, to_pixels, truth_setup
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
torch.set_num_threads(2)
generator, _, direction, region = truth_setup("cpu", Path("plugins/directions/shipped/hair_length.json"), Path("/tmp/hair-region.png"))
params = sample_params(60000, 200)
x = render(params, 128)
truth = render(edit(params, "hair_length", 0.2305), 128).astype(float) - x
path = GeneratorPath(generator, get_inverter("encoder").value(generator, generator.device))
drawn, change = [], []
with torch.no_grad():
    for ws, noise, recon in path._inverted(x):
        edited = synthesize(generator, edit_latents(ws, direction, torch.full((len(ws),), 8.0)), noise)
        drawn.append(to_pixels(recon.numpy()))
        change.append(((edited.float().clamp(-1, 1) - recon) * region[None, None]).permute(0, 2, 3, 1).numpy() * 127.5)
drawn, change = np.concatenate(drawn), np.concatenate(change)
size2, t2 = (change ** 2).sum(-1), (truth ** 2).sum(-1)
moved, beside = size2 > 40 ** 2, (t2 > 40 ** 2) & (np.arange(128)[None, :, None] < 110)
columns = [x[:8]]
for path_pt in sys.argv[2:]:
    model = Student(StudentConfig(strength_scale=12.0, head="smooth-flatten")); model.load_state_dict(torch.load(path_pt)); model.eval()
    def run(images):
        with torch.no_grad():
            t = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
            return np.concatenate([((model(t[i:i + 50], torch.full((len(t[i:i + 50]),), 8.0)).clamp(-1, 1) + 1) * 127.5).round().permute(0, 2, 3, 1).numpy() for i in range(0, len(t), 50)])
    on_render, on_drawn = run(x), run(drawn)
    share = lambda out, inp: ((out - inp.astype(float)) * change).sum(-1) / np.maximum(size2, 1)
    alpha = ((on_render - x) * truth).sum(-1) / np.maximum(t2, 1)
    print(f"{path_pt}: share of the teacher's change given the render {np.median(share(on_render, x)[moved]):.3f}, "
          f"given G(w) {np.median(share(on_drawn, drawn)[moved]):.3f}; of the true change beside the face {np.median(alpha[beside]):.3f}", flush=True)
    columns.append(on_render[:8].astype(np.uint8))
columns.append((x + truth)[:8].clip(0, 255).astype(np.uint8))
rows = [np.concatenate([c[i] for c in columns], 1) for i in range(8)]
Image.fromarray(np.concatenate(rows, 0)).resize((128 * len(columns) * 2, 128 * 8 * 2), Image.NEAREST).save(sys.argv[1])
