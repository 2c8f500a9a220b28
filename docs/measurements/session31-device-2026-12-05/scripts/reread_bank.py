"""Session 27's encoder-read beard bank with its targets redrawn by the generator: a
bank student's edit of every face (argv state, at strength S in the bank's units of t)
read back through the encoder and drawn again, blended into the beard region as the
bank's targets are: y = x + region * (G(enc(student(x, S))) - x). The generator's prior
turns the student's averaged, see-through beard into one drawing, and the new target is
a function of x. argv: bank, state, S, output bank."""
import sys, time
import torch
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.stylegan2.fast import FastSynthesis, FastConfig
from latentroom.plugins.toyfaces.regions import attribute_region
torch.set_num_threads(2)
bank_file, state, strength, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
X = torch.load(bank_file)["x"]
model = Student(StudentConfig(strength_scale=1.0))
model.load_state_dict(torch.load(state))
g = resolve_generator("toyfaces", torch.device("cpu"))
enc = get_inverter("encoder").value(g, g.device)
fast = FastSynthesis(g, FastConfig(dtype=None, channels_last=True, modconv="input"))
region = torch.from_numpy(attribute_region("beard", 128))[None, None]
ys, t = [], time.time()
for start in range(0, len(X), 64):
    x = X[start:start + 64].float()
    with torch.no_grad():
        edited = model(x, torch.full((len(x),), strength))
        y = fast._eager(enc.invert(edited)).clamp(-1, 1)
    ys.append((x + region * (y - x)).half())
    print(start, f"{time.time() - t:.0f}s", flush=True)
torch.save({"x": X, "y": torch.cat(ys)}, out)
