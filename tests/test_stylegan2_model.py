"""StyleGAN2 model: community key layout, parameter count, protocol behaviour."""

from __future__ import annotations

import pytest
import torch

from latentroom.engine.protocols import Generator as GeneratorProtocol
from latentroom.plugins.stylegan2.model import Discriminator, Generator, channel_table


def small(size: int = 32, **kw: object) -> Generator:
    torch.manual_seed(0)
    g = Generator(size, style_dim=kw.pop("style_dim", 32), n_mlp=kw.pop("n_mlp", 2),  # type: ignore[arg-type]
                  channel_cap=kw.pop("channel_cap", 16), **kw).eval()  # type: ignore[arg-type]
    with torch.no_grad():  # non-zero noise strengths and biases, so every path counts
        for name, p in g.named_parameters():
            if name.endswith("noise.weight") or name.endswith("bias"):
                p.normal_(0, 0.3)
    return g


def expected_generator_shapes(size: int, style_dim: int, n_mlp: int, cm: int, cap: int | None) -> dict[str, tuple[int, ...]]:
    """The community layout written out independently of the model code."""
    ch = channel_table(cm, cap)
    log = size.bit_length() - 1
    s: dict[str, tuple[int, ...]] = {}
    for i in range(1, n_mlp + 1):
        s[f"style.{i}.weight"], s[f"style.{i}.bias"] = (style_dim, style_dim), (style_dim,)
    c4 = ch[4]
    s["input.input"] = (1, c4, 4, 4)

    def styled(prefix: str, cin: int, cout: int, up: bool) -> None:
        s[f"{prefix}.conv.weight"] = (1, cout, cin, 3, 3)
        s[f"{prefix}.conv.modulation.weight"], s[f"{prefix}.conv.modulation.bias"] = (cin, style_dim), (cin,)
        if up:
            s[f"{prefix}.conv.blur.kernel"] = (4, 4)
        s[f"{prefix}.noise.weight"] = (1,)
        s[f"{prefix}.activate.bias"] = (cout,)

    def rgb(prefix: str, cin: int, up: bool) -> None:
        s[f"{prefix}.bias"] = (1, 3, 1, 1)
        if up:
            s[f"{prefix}.upsample.kernel"] = (4, 4)
        s[f"{prefix}.conv.weight"] = (1, 3, cin, 1, 1)
        s[f"{prefix}.conv.modulation.weight"], s[f"{prefix}.conv.modulation.bias"] = (cin, style_dim), (cin,)

    styled("conv1", c4, c4, False)
    rgb("to_rgb1", c4, False)
    cin = c4
    for k, i in enumerate(range(3, log + 1)):
        cout = ch[2**i]
        styled(f"convs.{2 * k}", cin, cout, True)
        styled(f"convs.{2 * k + 1}", cout, cout, False)
        rgb(f"to_rgbs.{k}", cout, True)
        cin = cout
    for j in range((log - 2) * 2 + 1):
        r = 2 ** ((j + 5) // 2)
        s[f"noises.noise_{j}"] = (1, 1, r, r)
    return s


@pytest.mark.parametrize("size,style_dim,n_mlp,cm,cap", [
    (8, 16, 1, 2, 8), (32, 64, 3, 1, 32), (64, 32, 2, 2, 48), (128, 512, 8, 1, 64), (256, 512, 8, 2, None),
])
def test_generator_state_dict_layout(size: int, style_dim: int, n_mlp: int, cm: int, cap: int | None) -> None:
    g = Generator(size, style_dim, n_mlp, channel_multiplier=cm, channel_cap=cap)
    got = {k: tuple(v.shape) for k, v in g.state_dict().items()}
    assert got == expected_generator_shapes(size, style_dim, n_mlp, cm, cap)
    assert g.n_latent == 2 * (size.bit_length() - 1) - 2


def test_config_f_1024_parameter_count() -> None:
    # What the community implementation counts for g_ema: parameters only; the
    # noise maps and FIR kernels are buffers.
    g = Generator(1024, 512, 8, channel_multiplier=2)
    assert sum(p.numel() for p in g.parameters()) == 30_370_060
    assert g.n_latent == 18 and len(g.to_rgbs) == 8 and len(g.convs) == 16


def test_discriminator_layout() -> None:
    d = Discriminator(32, channel_multiplier=2, channel_cap=16)
    sd = {k: tuple(v.shape) for k, v in d.state_dict().items()}
    assert sd["convs.0.0.weight"] == (16, 3, 1, 1) and sd["convs.0.1.bias"] == (16,)
    for b in (1, 2, 3):  # 32 -> 16 -> 8 -> 4
        assert sd[f"convs.{b}.conv1.0.weight"] == (16, 16, 3, 3)
        assert sd[f"convs.{b}.conv2.0.kernel"] == (4, 4)
        assert sd[f"convs.{b}.conv2.1.weight"] == (16, 16, 3, 3)
        assert sd[f"convs.{b}.skip.0.kernel"] == (4, 4)
        assert sd[f"convs.{b}.skip.1.weight"] == (16, 16, 1, 1)
    assert "convs.4.conv1.0.weight" not in sd
    assert sd["final_conv.0.weight"] == (16, 17, 3, 3)
    assert sd["final_linear.0.weight"] == (16, 16 * 16) and sd["final_linear.1.weight"] == (1, 16)
    out = d(torch.randn(4, 3, 32, 32))
    assert out.shape == (4, 1)


def test_generator_satisfies_protocol_and_shapes() -> None:
    g = small()
    assert isinstance(g, GeneratorProtocol)
    assert (g.size, g.style_dim, g.n_latent, g.weights_sha256) == (32, 32, 8, None)
    assert g.device == torch.device("cpu")
    with torch.no_grad():
        w = g.mapping(torch.randn(3, 32))
        img = g.synthesis(w)
    assert w.shape == (3, 32) and img.shape == (3, 3, 32, 32)


def test_w_equals_broadcast_w_plus() -> None:
    g = small()
    with torch.no_grad():
        w = g.mapping(torch.randn(2, 32))
        a = g.synthesis(w)
        b = g.synthesis(w.unsqueeze(1).repeat(1, g.n_latent, 1))
    assert torch.equal(a, b)
    with pytest.raises(ValueError):
        g.synthesis(torch.randn(2, g.n_latent + 1, 32))


def test_w_plus_layers_matter() -> None:
    g = small()
    with torch.no_grad():
        ws = g.mapping(torch.randn(1, 32)).unsqueeze(1).repeat(1, g.n_latent, 1)
        base = g.synthesis(ws)
        for layer in (0, g.n_latent - 1):  # first conv and last to-RGB both read W+
            other = ws.clone()
            other[:, layer] += 1.0
            assert not torch.allclose(g.synthesis(other), base)


def test_noise_modes() -> None:
    g = small()
    w = g.mapping(torch.randn(2, 32)).detach()
    with torch.no_grad():
        const1, const2 = g.synthesis(w, "const"), g.synthesis(w, "const")
        zero = g.synthesis(w, "zero")
        torch.manual_seed(1)
        r1 = g.synthesis(w, "random")
        r2 = g.synthesis(w, "random")
        explicit = g.synthesis(w, noise=[torch.zeros(1, 1, n.shape[2], n.shape[3]) for n in g.make_noise()])
        stored = g.synthesis(w, noise=[getattr(g.noises, f"noise_{i}") for i in range(g.num_layers)])
    assert torch.equal(const1, const2) and torch.equal(const1, stored)
    assert not torch.allclose(const1, zero) and not torch.allclose(r1, r2)
    assert torch.allclose(zero, explicit, atol=1e-6)
    with pytest.raises(ValueError):
        g.synthesis(w, "sometimes")  # type: ignore[arg-type]


def test_truncation_and_mean_latent() -> None:
    g = small()
    z = torch.randn(4, 32)
    with torch.no_grad():
        w = g.mapping(z)
        mean = g.mean_latent()
        assert mean.shape == (32,)
        assert torch.equal(mean, g.mean_latent())  # cached, fixed seed
        assert torch.allclose(g.mapping(z, truncation=0.0), mean.expand(4, -1), atol=1e-6)
        assert torch.allclose(g.mapping(z, truncation=0.5), mean + 0.5 * (w - mean), atol=1e-6)
        g.latent_avg = torch.ones(32)
        assert torch.equal(g.mean_latent(), torch.ones(32))
        assert torch.allclose(g.mapping(z, truncation=0.0), torch.ones(4, 32))
    g.latent_avg = None
    with torch.no_grad():
        g.style[1].bias.add_(1.0)  # weights changed: the cached estimate is stale
    assert not torch.allclose(g.mean_latent(), mean)


def test_input_modulation_equals_grouped() -> None:
    g = small(64, channel_cap=24)
    ws = torch.randn(3, g.n_latent, 32)
    with torch.no_grad():
        a = g.synthesis(ws)
        for m in g.modules():
            if hasattr(m, "fused"):
                m.fused = False
        b = g.synthesis(ws)
    assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_batch_independent() -> None:
    g = small()
    ws = torch.randn(3, g.n_latent, 32)
    with torch.no_grad():
        full = g.synthesis(ws)
        single = torch.cat([g.synthesis(ws[i : i + 1]) for i in range(3)])
    assert torch.allclose(full, single, atol=1e-5)


def test_gradients_reach_every_parameter() -> None:
    g, d = small(16).train(), Discriminator(16, channel_cap=16)
    img = g(torch.randn(4, 32), noise_mode="random")
    d(img).sum().backward()
    missing = [n for n, p in list(g.named_parameters()) + list(d.named_parameters()) if p.grad is None]
    assert missing == []
