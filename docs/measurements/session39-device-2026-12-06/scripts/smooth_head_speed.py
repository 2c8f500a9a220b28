"""The smoothed flattening head's blur exported two ways, in the whole student: one
student (the bundled widths, every weight random, seed 0) exported with the blur as two
2x2 average pools (the head as of session 39) and again with it as the edge-padded
depthwise 3x3 conv it was before (the head the shipped beard and hair_length were
exported with); their outputs compared, then both timed on ONNX Runtime's CPU provider,
interleaved, at batch 1 and 16 (128² inputs; medians of 200 calls each)."""
import copy, time
import numpy as np, onnxruntime as ort, torch
from torch import nn
from latentroom.plugins.distill.export import export_onnx
from latentroom.plugins.distill.student import Student, StudentConfig


class ConvBlur(nn.Conv2d):
    def __init__(self, channels: int) -> None:
        super().__init__(channels, channels, 3, padding=1, padding_mode="replicate", groups=channels, bias=False)
        taps = torch.tensor([1.0, 2.0, 1.0]) / 4
        del self.weight
        self.register_buffer("weight", (taps[:, None] * taps[None, :]).expand(channels, 1, 3, 3).contiguous())


torch.manual_seed(0)
pools = Student(StudentConfig(head="smooth-flatten"))
with torch.no_grad():
    for p in pools.parameters():
        p.normal_(0, 0.05)
pools.eval()
conv = copy.deepcopy(pools)
head = next(m for m in conv.modules() if hasattr(m, "blur"))
head.blur = ConvBlur(head.transposed.out_channels)
options = ort.SessionOptions()
options.intra_op_num_threads = 2
sessions = {name: ort.InferenceSession(export_onnx(model, 128), options, providers=["CPUExecutionProvider"])
            for name, model in (("pools", pools), ("conv", conv))}
names = [i.name for i in sessions["pools"].get_inputs()]
rng = np.random.default_rng(0)
for batch in (1, 16):
    feed = {names[0]: rng.random((batch, 3, 128, 128), np.float32) * 2 - 1, names[1]: np.ones(batch, np.float32)}
    outputs = {n: s.run(None, feed)[0] for n, s in sessions.items()}
    times = {n: [] for n in sessions}
    for _ in range(200):
        for n, s in sessions.items():
            start = time.perf_counter()
            s.run(None, feed)
            times[n].append(time.perf_counter() - start)
    print(f"batch {batch}: max difference {np.abs(outputs['pools'] - outputs['conv']).max():.2e}; "
          + ", ".join(f"{n} {np.median(t) * 1e3:.2f} ms ({batch / np.median(t):.0f} img/s)" for n, t in times.items()))
