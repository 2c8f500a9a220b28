"""hair_length's teacher pairs (the bundled direction at 8, the bundled region) on the
generator's own samples, beside the bundled preset on the same inputs."""
import numpy as np, torch
from PIL import Image
from latentroom.engine.direction import Direction
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.author import load_region
from latentroom.plugins.distill.export import run_onnx, session
from latentroom.plugins.distill.pairs import PairSampler
from latentroom.plugins.distill.quality import to_pixels
torch.set_num_threads(1)
g = resolve_generator("toyfaces", torch.device("cpu"))
d = Direction.load("/work/main/plugins/directions/shipped/hair_length.json")
region = load_region("hair.png", 128)[0]
x, y, s = PairSampler(g, d, (8.0, 8.0), region=region, seed=3).batch(8, 0, strength=8.0)
_, full, _ = PairSampler(g, d, (8.0, 8.0), seed=3).batch(8, 0, strength=8.0)
sess = session(open("/work/main/presets/hair_length/model.onnx", "rb").read())
out = run_onnx(sess, x.numpy(), np.full(8, 8.0, np.float32))
cols = [x.numpy(), full.numpy(), y.numpy(), out]
Image.fromarray(np.concatenate([np.concatenate(list(to_pixels(c)), 0) for c in cols], 1)).save("hair-teacher.png")
