"""Both students of train_partial.py on the bank's 64 held-out faces at the truth
strength: where the teacher draws its frame, how much of the frame's darkening they
draw; where the teacher changes nothing inside the region, how much they change.
An argument such as "-recipe" names the students trained with train_partial.py's recipe."""
import sys
import numpy as np, torch
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.regions import attribute_region
torch.set_num_threads(2)
bank = torch.load("bank-glasses-interp.pt")
x, y = bank["x"][-64:].float(), bank["y"][-64:, 7].float()
region = torch.from_numpy(attribute_region("glasses", 128))[None, None] > 0.5
change = (y - x).mean(1, keepdim=True)
frame = change < -0.3          # where the teacher darkens by more than ~38 levels
still = ((y - x).abs().amax(1, keepdim=True) < 4 / 127.5) & region
suffix = sys.argv[1] if len(sys.argv) > 1 else ""
for mode in ("latent" + suffix, "fade" + suffix):
    model = Student(StudentConfig(strength_scale=0.83)); model.load_state_dict(torch.load(f"partial-{mode}.pt"))
    with torch.no_grad():
        out = model(x, torch.full((64,), 0.83))
    d = (out - x).mean(1, keepdim=True)
    print(f"{mode}: edited pixels {psnr_where_edited(x.numpy(), y.numpy(), out.numpy()):.2f} dB; "
          f"frame darkening drawn {(d[frame].mean() / change[frame].mean()).item():.2f} of the teacher's; "
          f"change where the teacher changes nothing in the region {127.5 * (out - x).abs().amax(1, keepdim=True)[still].mean().item():.2f} levels")
