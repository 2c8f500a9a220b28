"""Session 48 (CPU): does the painting head's colour parametrisation make the see-through,
background-tinted new hair? The product's painting student (Student head="paint", its
paint_terms: coverage by cross-entropy, colour where the teacher paints) on an encoder-read
hair bank (session 24's bank.py, AMOUNT=0.35, the bundled row's region), every pair at
strength 1 of 1, with its colour either as shipped, c = low(x) + o ("offset"), or
c = o ("absolute": the colour itself, no trace of what lies under it).
Optimiser as author's: Adam 2e-3, betas 0.9/0.99, 100-step warm-up, cosine to a tenth.
argv: offset|absolute steps out.pt; BANK, THREADS (1), SEED (0) from the environment."""
import math, os, sys, time
import torch
import latentroom.plugins.distill.paint as paint
import latentroom.plugins.distill.student as student_module
from latentroom.plugins.distill.student import Student, StudentConfig

def absolute_colour(image, head_out):
    return head_out[:, 1:]

def use_colour(kind):
    if kind == "absolute":
        student_module.paint_colour = absolute_colour
        paint.paint_colour = absolute_colour

if __name__ == "__main__":
    kind, steps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    use_colour(kind)
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    torch.manual_seed(int(os.environ.get("SEED", "0")))
    bank = torch.load(os.environ["BANK"])
    X, Y = bank["x"][:-64], bank["y"][:-64]
    model = Student(StudentConfig(strength_scale=1.0, head="paint"))
    opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
    rate = lambda step: min(1.0, step / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / steps)))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)
    gen = torch.Generator().manual_seed(5)
    s = torch.ones(32)
    start = time.time()
    for step in range(1, steps + 1):
        b = torch.randint(len(X), (32,), generator=gen)
        x, y = X[b].float(), Y[b].float()
        _, terms = paint.paint_terms(model, x, y, s)
        loss = terms["coverage"] + terms["colour"]
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if step % 200 == 0:
            print(step, f"coverage {terms['coverage'].item():.4f} colour {terms['colour'].item():.5f} {time.time() - start:.0f}s", flush=True)
    torch.save({"kind": kind, "state": model.state_dict()}, out)
