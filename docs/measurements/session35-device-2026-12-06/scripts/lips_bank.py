"""Session 27's encoder-read beard bank with the input's own mouth kept in the target, as
the renderer's truth keeps it over the beard: the teacher's redrawn lips filled in from
the teacher's pixels round them (a normalised 9x9 box average), then the input X's lips
laid over. Lips: pixels redder (R - (G + B) / 2) than their box's median by MARGIN, in a
box round the render's mouth corners (the reading puts the mouth about there), grown
GROW px. argv: bank out [MARGIN GROW] (0.08, 1; in 0-1 units)."""
import sys
import numpy as np, torch
from torch.nn import functional as F
from latentroom.plugins.toyfaces.renderer import landmarks, sample_params
bank = torch.load(sys.argv[1]); X, Y = bank["x"].float(), bank["y"].float()
margin, grow = (float(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (0.08, 1)
corners = np.concatenate([landmarks(sample_params(7000 + s, min(64, len(X) - s)), 128)[:, 3:5]
                          for s in range(0, len(X), 64)])


def find_lips(images: torch.Tensor) -> torch.Tensor:
    redness = ((images[:, 0] - (images[:, 1] + images[:, 2]) / 2) / 2).numpy()  # 0-1 units
    lips = np.zeros((len(images), 128, 128), np.float32)
    for i, ((lx, ly), (rx, ry)) in enumerate(corners):
        x0, x1 = int(max(lx - 4, 0)), int(min(rx + 5, 128))
        y0, y1 = int(max(min(ly, ry) - 10, 0)), int(min(max(ly, ry) + 10, 128))
        box = redness[i, y0:y1, x0:x1]
        lips[i, y0:y1, x0:x1] = box > np.median(box) + margin
    lips = torch.from_numpy(lips)[:, None]
    return F.max_pool2d(lips, 2 * grow + 1, 1, grow) if grow else lips


lips, redrawn = find_lips(X), find_lips(Y)
keep = 1 - redrawn
filled = F.avg_pool2d(Y * keep, 9, 1, 4) / F.avg_pool2d(keep, 9, 1, 4).clamp(min=1e-3)
y = Y + redrawn * (filled - Y)
y = y + lips * (X - y)
print(f"faces {len(X)}; the input's lips cover {lips.mean() * 100:.2f}% of the frame, the teacher's "
      f"{redrawn.mean() * 100:.2f}%; faces with none found {(lips.flatten(1).sum(1) == 0).sum().item()}")
torch.save({"x": X.half(), "y": y.half(), "lips": lips.half()}, sys.argv[2])
