"""ONNX export of StyleGAN2 synthesis (W+ in, const noise) matches torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from latentroom.plugins.stylegan2.model import Generator

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


class Synthesis(torch.nn.Module):
    def __init__(self, g: Generator) -> None:
        super().__init__()
        self.g = g

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        return self.g.synthesis(ws, noise_mode="const")


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "input_mod"])
def test_onnx_export_matches_torch(tmp_path: Path, grouped: bool) -> None:
    """Both modulated-conv evaluations export (torch.onnx's default dynamo exporter;
    the legacy TorchScript exporter cannot take data-dependent conv weights)."""
    torch.manual_seed(0)
    g = Generator(32, 32, 2, channel_cap=16).eval()
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise.weight") or name.endswith("bias"):
                p.normal_(0, 0.3)
    for m in g.modules():
        if hasattr(m, "fused"):
            m.fused = grouped
    ws = torch.randn(2, g.n_latent, 32)
    path = tmp_path / "synthesis.onnx"
    torch.onnx.export(Synthesis(g), (ws,), str(path), opset_version=17, input_names=["ws"],
                      output_names=["images"], dynamo=True)
    onnx.checker.check_model(onnx.load(str(path)))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"ws": ws.numpy()})[0]
    with torch.no_grad():
        want = g.synthesis(ws, noise_mode="const").numpy()
    assert got.shape == (2, 3, 32, 32)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
