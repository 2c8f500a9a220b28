"""Session 16 scratch probe (kept as run): teacher_pair_leakage.py on a corrected glasses direction with its
correction input clamped to the fitting examples' range ("clamp") or pulled to their typical distance ("shrink").
python docs/measurements/face-dependent-cpu-2026-12-04/clamp_probe.py DIRECTION.json clamp|shrink STRENGTH"""
import sys, numpy as np, torch
torch.set_num_threads(2)
from latentroom.engine.direction import Direction
from latentroom.engine.plugins import resolve_generator, get_inverter
from latentroom.plugins.toyfaces.truth_direction import true_edit_renders, TRUTH_DIRECTION_SEED
from latentroom.plugins.distill.quality import to_model
import latentroom.plugins.directions.edit as edit_mod
path, mode = sys.argv[1], sys.argv[2]
g = resolve_generator("toyfaces", torch.device("cpu"))
c = Direction.load(path).correction
enc = get_inverter("encoder").value(g, torch.device("cpu"))
b, _ = true_edit_renders("glasses", 2000, 0, 0.35, 128)
x = np.concatenate([enc.invert(torch.from_numpy(to_model(b[i:i+64]))).detach().numpy()[:, :4].mean(1) for i in range(0, len(b), 64)])
z = (x - c.mean) @ c.basis
lo, hi = z.min(0), z.max(0)
scale_in = np.linalg.norm(x - c.mean, axis=1).mean()
orig = edit_mod.correction_residual
def clamped(correction, w):
    t = lambda a: torch.tensor(a, dtype=w.dtype)
    zz = (w - t(correction.mean)) @ t(correction.basis)
    if mode == "clamp":
        zz = torch.maximum(torch.minimum(zz, t(hi)), t(lo))
    elif mode == "shrink":  # pull w towards the examples' mean to their typical distance
        d = (w - t(correction.mean)).norm(dim=1, keepdim=True)
        zz = zz * torch.clamp(scale_in / d, max=1.0)
    flat = zz @ t(correction.weights) + t(correction.intercept)
    return flat.reshape(len(w), correction.layer_count, correction.style_dim)
edit_mod.correction_residual = clamped
sys.argv = ["teacher_pair_leakage.py", path, "--strength", sys.argv[3], "--region", "docs/measurements/session16-h200-2026-12-04/call-a/teachers/glasses-region.png"]
import runpy
runpy.run_path("scripts/teacher_pair_leakage.py", run_name="__main__")
