"""e4e/pSp encoder checkpoints: our Encoder4Editing and GradualStyleEncoder against an
independent reference of the originals (written below in their own style), the
real-size key layout, and the ``e4e`` inverter on community-format files.

The reference follows omertov/encoder4editing and eladrich/pixel2style2pixel
(models/encoders/helpers.py, psp_encoders.py): namedtuple block plans, a
``MaxPool2d(1, stride)`` shortcut, ``AdaptiveAvgPool2d`` squeeze-excite, body taps at
fixed indices, ``np.log2`` head depths, in-place delta accumulation. Its only
change is that widths, unit counts and the style width are arguments (the originals
fix them at IR-SE50's 64-512 and 512), so the comparison can run at a small size;
the real size is checked for key names and shapes.
"""

from __future__ import annotations

import argparse
import math
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from test_invert import _one_thread  # noqa: F401  (autouse: one torch thread for tiny convolutions)
from torch import nn
from torch.nn import functional as F

from latentroom.engine.cli import cli
from latentroom.engine.errors import CheckpointError
from latentroom.engine.plugins import get_inverter, resolve_generator
from latentroom.plugins.inverters.community_encoder import INPUT_SIZE, infer_encoder_config
from latentroom.plugins.inverters.style_encoders import Encoder4Editing, GradualStyleEncoder
from latentroom.plugins.stylegan2.checkpoint import save_checkpoint
from latentroom.plugins.stylegan2.model import Generator

# ---------------------------------------------------------------- the reference


class RefBottleneck(namedtuple("Block", ["in_channel", "depth", "stride"])):
    pass


def ref_blocks(units, widths):
    blocks, previous = [], widths[0]
    for count, depth in zip(units, widths):
        blocks.append([RefBottleneck(previous, depth, 2)] + [RefBottleneck(depth, depth, 1) for _ in range(count - 1)])
        previous = depth
    return blocks


class RefSE(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1, padding=0, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1, padding=0, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        module_input = x
        x = self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))
        return module_input * x


class RefBottleneckIRSE(nn.Module):
    def __init__(self, in_channel, depth, stride, se=True):
        super().__init__()
        if in_channel == depth:
            self.shortcut_layer = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(nn.Conv2d(in_channel, depth, (1, 1), stride, bias=False),
                                                nn.BatchNorm2d(depth))
        layers = [nn.BatchNorm2d(in_channel), nn.Conv2d(in_channel, depth, (3, 3), (1, 1), 1, bias=False),
                  nn.PReLU(depth), nn.Conv2d(depth, depth, (3, 3), stride, 1, bias=False), nn.BatchNorm2d(depth)]
        if se:
            layers.append(RefSE(depth, 16))
        self.res_layer = nn.Sequential(*layers)

    def forward(self, x):
        shortcut = self.shortcut_layer(x)
        res = self.res_layer(x)
        return res + shortcut


class RefEqualLinear(nn.Module):
    def __init__(self, in_dim, out_dim, bias_init=0, lr_mul=1):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim).div_(lr_mul))
        self.bias = nn.Parameter(torch.zeros(out_dim).fill_(bias_init))
        self.scale = (1 / math.sqrt(in_dim)) * lr_mul
        self.lr_mul = lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.scale, bias=self.bias * self.lr_mul)


class RefGradualStyleBlock(nn.Module):
    def __init__(self, in_c, out_c, spatial):
        super().__init__()
        self.out_c = out_c
        num_pools = int(np.log2(spatial))
        modules = [nn.Conv2d(in_c, out_c, kernel_size=3, stride=2, padding=1), nn.LeakyReLU()]
        for _ in range(num_pools - 1):
            modules += [nn.Conv2d(out_c, out_c, kernel_size=3, stride=2, padding=1), nn.LeakyReLU()]
        self.convs = nn.Sequential(*modules)
        self.linear = RefEqualLinear(out_c, out_c, lr_mul=1)

    def forward(self, x):
        x = self.convs(x)
        x = x.view(-1, self.out_c)
        return self.linear(x)


def ref_upsample_add(x, y):
    _, _, H, W = y.size()
    return F.interpolate(x, size=(H, W), mode="bilinear", align_corners=True) + y


class RefEncoder(nn.Module):
    """Both originals in one: ``e4e=True`` is Encoder4Editing's forward, else pSp's."""

    def __init__(self, style_count, e4e, units=(3, 4, 14, 3), widths=(64, 128, 256, 512), style_dim=512, se=True):
        super().__init__()
        self.e4e = e4e
        self.input_layer = nn.Sequential(nn.Conv2d(3, widths[0], (3, 3), 1, 1, bias=False),
                                         nn.BatchNorm2d(widths[0]), nn.PReLU(widths[0]))
        modules = [RefBottleneckIRSE(b.in_channel, b.depth, b.stride, se)
                   for block in ref_blocks(units, widths) for b in block]
        self.body = nn.Sequential(*modules)
        # IR-SE50's hard-coded 6, 20, 23 are these stage ends.
        self.tap_indices = [sum(units[:2]) - 1, sum(units[:3]) - 1, sum(units) - 1]
        self.styles = nn.ModuleList()
        self.style_count = style_count
        self.coarse_ind, self.middle_ind = 3, 7
        for i in range(style_count):
            spatial = 16 if i < self.coarse_ind else 32 if i < self.middle_ind else 64
            self.styles.append(RefGradualStyleBlock(widths[3], style_dim, spatial))
        self.latlayer1 = nn.Conv2d(widths[2], widths[3], kernel_size=1, stride=1, padding=0)
        self.latlayer2 = nn.Conv2d(widths[1], widths[3], kernel_size=1, stride=1, padding=0)

    def forward(self, x):
        x = self.input_layer(x)
        for i, layer in enumerate(self.body._modules.values()):
            x = layer(x)
            if i == self.tap_indices[0]:
                c1 = x
            elif i == self.tap_indices[1]:
                c2 = x
            elif i == self.tap_indices[2]:
                c3 = x
        return self.forward_e4e(c1, c2, c3) if self.e4e else self.forward_psp(c1, c2, c3)

    def forward_psp(self, c1, c2, c3):
        latents = [self.styles[j](c3) for j in range(self.coarse_ind)]
        p2 = ref_upsample_add(c3, self.latlayer1(c2))
        latents += [self.styles[j](p2) for j in range(self.coarse_ind, self.middle_ind)]
        p1 = ref_upsample_add(p2, self.latlayer2(c1))
        latents += [self.styles[j](p1) for j in range(self.middle_ind, self.style_count)]
        return torch.stack(latents, dim=1)

    def forward_e4e(self, c1, c2, c3):
        w0 = self.styles[0](c3)
        w = w0.repeat(self.style_count, 1, 1).permute(1, 0, 2)
        features = c3
        for i in range(1, self.style_count):
            if i == self.coarse_ind:
                p2 = ref_upsample_add(c3, self.latlayer1(c2))
                features = p2
            elif i == self.middle_ind:
                p1 = ref_upsample_add(p2, self.latlayer2(c1))
                features = p1
            delta_i = self.styles[i](features)
            w[:, i] += delta_i
        return w


# ------------------------------------------------------------------- fixtures

SMALL = {"units": (1, 2, 2, 1), "widths": (16, 32, 48, 64), "style_dim": 32}


def randomized(module: nn.Module, seed: int) -> nn.Module:
    """Every parameter and BN statistic random, so that no path is an identity."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            noise = torch.randn(tensor.shape, generator=gen)
            if name.endswith("running_var"):
                tensor.copy_(0.5 + noise.abs())
            elif name.endswith(("weight", "bias", "running_mean")) and tensor.ndim <= 1:
                tensor.copy_(0.2 * noise + (1.0 if name.endswith("weight") else 0.0))
            else:
                tensor.copy_(noise * (2.0 / tensor[0].numel()) ** 0.5)
    return module.eval()


def reference(n_styles: int, e4e: bool, seed: int = 0) -> RefEncoder:
    torch.manual_seed(seed)
    return randomized(RefEncoder(n_styles, e4e, **SMALL), seed)


def ours_from(ref: RefEncoder, e4e: bool, n_styles: int) -> nn.Module:
    cls = Encoder4Editing if e4e else GradualStyleEncoder
    model = cls(n_styles, style_dim=SMALL["style_dim"], units=SMALL["units"], widths=SMALL["widths"])
    model.load_state_dict(ref.state_dict(), strict=True)
    return model.eval()


def images(n: int, size: int, seed: int = 1) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# ---------------------------------------------------------------- architecture


@pytest.mark.parametrize("e4e", [True, False], ids=["Encoder4Editing", "GradualStyleEncoder"])
@pytest.mark.parametrize("n_styles", [10, 8])
def test_matches_reference_on_random_weights(e4e: bool, n_styles: int) -> None:
    ref = reference(n_styles, e4e)
    ours = ours_from(ref, e4e, n_styles)
    x = images(2, INPUT_SIZE)
    with torch.no_grad():
        expected, got = ref(x), ours(x)
    assert got.shape == (2, n_styles, SMALL["style_dim"])
    assert expected.abs().mean() > 0.1  # random weights give a non-trivial output
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    # Images are independent of their batch-mates (BatchNorm in eval mode).
    with torch.no_grad():
        torch.testing.assert_close(ours(x[1:]), got[1:], rtol=1e-4, atol=1e-5)


def test_plain_ir_units_without_squeeze_excite() -> None:
    # mode='ir' in the originals: the same units without the SE gate.
    torch.manual_seed(0)
    ref = randomized(RefEncoder(10, True, se=False, **SMALL), 0)
    assert infer_encoder_config(ref.state_dict(), Path("ir.pt"))["squeeze_excite"] is False
    ours = Encoder4Editing(10, style_dim=SMALL["style_dim"], units=SMALL["units"], widths=SMALL["widths"],
                           squeeze_excite=False).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = images(1, INPUT_SIZE)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref(x), rtol=1e-4, atol=1e-5)


def test_e4e_rows_share_a_base_psp_rows_do_not() -> None:
    x = images(1, INPUT_SIZE)
    e4e = ours_from(reference(10, True), True, 10)
    psp = ours_from(reference(10, False), False, 10)
    with torch.no_grad():
        # Zeroing head 4 leaves every e4e row but row 4 and makes row 4 the base.
        e4e.styles[4].linear.weight.zero_()
        e4e.styles[4].linear.bias.zero_()
        rows = e4e(x)[0]
        psp_rows = psp(x)[0]
    torch.testing.assert_close(rows[4], rows[0])
    assert not torch.allclose(rows[5], rows[0])
    assert not torch.allclose(psp_rows[4], psp_rows[0])


@pytest.mark.parametrize("e4e", [True, False], ids=["Encoder4Editing", "GradualStyleEncoder"])
@pytest.mark.parametrize("n_styles", [18, 14])
def test_real_size_layout_matches_the_originals(e4e: bool, n_styles: int) -> None:
    # IR-SE50, 64-512 wide, 512-wide heads: the released files' size, on the meta
    # device (shapes only, no memory).
    with torch.device("meta"):
        ref = RefEncoder(n_styles, e4e)
        ours = (Encoder4Editing if e4e else GradualStyleEncoder)(n_styles)
    expected = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == expected
    # A few facts of the released layout, stated directly.
    assert expected["input_layer.0.weight"] == (64, 3, 3, 3)
    assert expected["body.23.res_layer.5.fc1.weight"] == (32, 512, 1, 1)
    assert expected["body.3.shortcut_layer.0.weight"] == (128, 64, 1, 1)
    assert "body.4.shortcut_layer.0.weight" not in expected
    assert expected[f"styles.{n_styles - 1}.convs.10.weight"] == (512, 512, 3, 3)
    assert "styles.2.convs.8.weight" not in expected and "styles.2.convs.6.weight" in expected
    assert expected["latlayer1.weight"] == (512, 256, 1, 1) and expected["latlayer2.weight"] == (512, 128, 1, 1)
    # What the loader reads back from such a file's tensors.
    assert infer_encoder_config(ref.state_dict(), Path("released.pt")) == {
        "n_styles": n_styles, "style_dim": 512, "units": [3, 4, 14, 3], "widths": [64, 128, 256, 512],
        "input_channels": 3, "squeeze_excite": True}


# ---------------------------------------------------------------- files and inverter

GEN = {"size": 64, "style_dim": 32, "n_mlp": 2, "channel_cap": 16}  # 10 W+ rows


class NotData:
    """Stands for any class a hostile file might pickle into ``opts``."""

    def __init__(self) -> None:
        self.encoder_type = "Encoder4Editing"


def decoder(seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    return Generator(**GEN).eval()


def write_community_file(path: Path, ref: RefEncoder, g: Generator, opts: object = None,
                         latent_avg: torch.Tensor | None = None) -> Path:
    """The layout both projects' coach writes: the pSp module's state_dict, vars(opts), latent_avg."""
    state = {**{f"encoder.{k}": v for k, v in ref.state_dict().items()},
             **{f"decoder.{k}": v for k, v in g.state_dict().items()}}
    if opts is None:
        opts = {"encoder_type": "Encoder4Editing" if ref.e4e else "GradualStyleEncoder", "stylegan_size": GEN["size"],
                "start_from_latent_avg": True, "lpips_lambda": 0.8, "device": "cuda:0", "checkpoint_path": None}
    data = {"state_dict": state, "opts": opts}
    data["latent_avg"] = latent_avg if latent_avg is not None else torch.randn(10, GEN["style_dim"])
    torch.save(data, path)
    return path


def expected_codes(ref: RefEncoder, x: torch.Tensor, latent_avg: torch.Tensor) -> torch.Tensor:
    x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=True)
    with torch.no_grad():
        return ref(x) + latent_avg.repeat(x.shape[0], 1, 1)


@pytest.mark.parametrize("e4e", [True, False], ids=["e4e", "pSp"])
def test_inverter_reads_the_generators_own_file(tmp_path: Path, e4e: bool) -> None:
    ref = reference(10, e4e)
    avg = torch.randn(10, GEN["style_dim"])
    path = write_community_file(tmp_path / "e4e_tiny.pt", ref, decoder(), latent_avg=avg)
    g = resolve_generator(f"stylegan2:{path}", "cpu")
    torch.testing.assert_close(g.mean_latent(), avg.mean(0))
    w = torch.randn(2, g.style_dim)
    torch.testing.assert_close(g.synthesis(w), decoder().synthesis(w))  # the decoder.* tensors
    inverter = get_inverter("e4e").value(g, "cpu")
    x = images(3, GEN["size"])
    ws = inverter.invert(x)
    assert ws.shape == (3, g.n_latent, g.style_dim) and inverter.last_noise is None
    torch.testing.assert_close(ws, expected_codes(ref, x, avg), rtol=1e-4, atol=1e-5)
    assert g.synthesis(ws).shape == (3, 3, GEN["size"], GEN["size"])


def test_namespace_opts_and_w_shaped_latent_avg(tmp_path: Path) -> None:
    ref = reference(10, True)
    opts = argparse.Namespace(encoder_type="Encoder4Editing", stylegan_size=64, start_from_latent_avg=True)
    avg = torch.randn(GEN["style_dim"])  # pSp's coach saves mean_latent()[0]: one row
    path = write_community_file(tmp_path / "ns.pt", ref, decoder(), opts=opts, latent_avg=avg)
    g = resolve_generator(f"stylegan2:{path}", "cpu")
    x = images(2, GEN["size"])
    torch.testing.assert_close(get_inverter("e4e").value(g, "cpu").invert(x), expected_codes(ref, x, avg),
                               rtol=1e-4, atol=1e-5)


def test_another_generator_needs_weights_and_must_be_the_decoder(tmp_path: Path) -> None:
    ref = reference(10, True)
    path = write_community_file(tmp_path / "e4e.pt", ref, decoder(seed=0))
    same = decoder(seed=0)
    other = decoder(seed=1)
    with pytest.raises(CheckpointError, match="-O weights=PATH"):
        get_inverter("e4e").value(same, "cpu")
    plain = tmp_path / "plain.pt"
    save_checkpoint(plain, same)
    with pytest.raises(CheckpointError, match="no 'state_dict' .*generator's own file; pass the encoder with -O weights"):
        get_inverter("e4e").value(resolve_generator(f"stylegan2:{plain}", "cpu"), "cpu")
    get_inverter("e4e").value(same, "cpu", weights=str(path))  # equal tensors: accepted
    with pytest.raises(CheckpointError, match="not this file's decoder"):
        get_inverter("e4e").value(other, "cpu", weights=str(path))
    ws = get_inverter("e4e").value(other, "cpu", weights=str(path), allow_mismatch=True).invert(images(1, 64))
    assert ws.shape == (1, 10, GEN["style_dim"])
    with torch.device("cpu"):
        smaller = Generator(32, style_dim=32, n_mlp=2, channel_cap=16)
    with pytest.raises(CheckpointError, match=r"encoder outputs \[10, 32\] but the generator takes \[8, 32\]"):
        get_inverter("e4e").value(smaller, "cpu", weights=str(path), allow_mismatch=True)


@pytest.mark.parametrize("change, message", [
    ({"opts": {"encoder_type": "BackboneEncoderUsingLastLayerIntoW"}}, "encoder_type .* is not supported"),
    ({"opts": None}, "no 'opts'"),
    ({"opts": NotData()}, "refused to load"),
    ({"state_dict": {"decoder.x": torch.zeros(1)}}, "no encoder.\\* tensors"),
    ({"state_dict": {"encoder.styles.0.linear.weight": torch.zeros(2, 2)}}, "not an IR-SE pyramid encoder"),
    ({"latent_avg": torch.zeros(3, 32)}, "latent_avg has shape \\[3, 32\\]"),
])
def test_bad_files_are_named_errors(tmp_path: Path, change: dict, message: str) -> None:
    path = write_community_file(tmp_path / "bad.pt", reference(10, True), decoder())
    data = torch.load(path, weights_only=True)
    data.update(change)
    torch.save({k: v for k, v in data.items() if v is not None}, path)
    with pytest.raises(CheckpointError, match=message) as info:
        get_inverter("e4e").value(decoder(), "cpu", weights=str(path), allow_mismatch=True)
    assert str(path) in info.value.message


def test_mismatched_encoder_tensors_are_a_named_error(tmp_path: Path) -> None:
    path = write_community_file(tmp_path / "e4e.pt", reference(10, True), decoder())
    data = torch.load(path, weights_only=True)
    data["state_dict"]["encoder.latlayer1.weight"] = torch.zeros(3, 3, 1, 1)
    torch.save(data, path)
    with pytest.raises(CheckpointError, match="does not match the Encoder4Editing layout: .*latlayer1"):
        get_inverter("e4e").value(decoder(), "cpu", weights=str(path))


def test_invert_command_with_e4e(tmp_path: Path) -> None:
    ref = reference(10, True)
    avg = torch.randn(10, GEN["style_dim"])
    path = write_community_file(tmp_path / "e4e.pt", ref, decoder(), latent_avg=avg)
    pixels = (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "face.png")
    out = tmp_path / "codes.npz"
    result = CliRunner().invoke(cli, ["invert", str(tmp_path / "face.png"), "--generator", f"stylegan2:{path}",
                                      "--inverter", "e4e", "--device", "cpu", "-o", str(out)])
    assert result.exit_code == 0, result.output
    codes = np.load(out)["face.png"]
    x = torch.from_numpy(pixels.transpose(2, 0, 1)[None].astype(np.float32) / 127.5 - 1)
    np.testing.assert_allclose(codes, expected_codes(ref, x, avg)[0].numpy(), rtol=1e-3, atol=1e-3)
