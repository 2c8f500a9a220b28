"""Session 27's beard_adv.py with the student's 2x2 transposed-conv head replaced by a
full-resolution one (nearest x2, 3x3 conv to 16 channels, LeakyReLU, 3x3 conv to the
residual, zero-initialised): is the adversarial term's dot grid the head's? argv: as beard_adv.py"""
import runpy, sys
from torch import nn
from latentroom.plugins.distill import student


class SmoothHead(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(channels, 16, 3, 1, 1),
                                 nn.LeakyReLU(0.2), nn.Conv2d(16, 3, 3, 1, 1))
        nn.init.zeros_(self.net[-1].weight); nn.init.zeros_(self.net[-1].bias)

    def forward(self, h):
        return self.net(h)


original = student.Student.__init__
def patched(self, config=None):
    original(self, config)
    self.head = SmoothHead(self.config.widths[0])
student.Student.__init__ = patched
runpy.run_path(sys.argv[0].replace("smooth_head.py", "beard_adv.py"), run_name="__main__")
