"""Does a student learn under the device's bf16 autocast, per head? 150 Adam steps (lr 2e-3,
batch 16, 64² images) on a fixed local edit: a darker lower half; loss printed every 50."""
import torch
from latentroom.plugins.distill.student import Student, StudentConfig
torch.set_num_threads(2)
for head in ("transposed", "full"):
    for amp in (False, True):
        torch.manual_seed(0)
        model = Student(StudentConfig(strength_scale=1.0, head=head))
        opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.9, 0.99))
        losses = []
        for step in range(150):
            x = torch.rand(16, 3, 64, 64) * 2 - 1
            y = x.clone(); y[:, :, 32:] = (y[:, :, 32:] - 0.5).clamp(-1, 1)
            with torch.autocast("cpu", torch.bfloat16, enabled=amp):
                out = model(x, torch.ones(16)).float()
                loss = ((out - y) ** 2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            if step % 50 == 49:
                losses.append(round(loss.item(), 4))
        print(head, "amp" if amp else "fp32", losses, flush=True)
