"""The StyleSpace direction source on a small random StyleGAN2.

The planted scorer reports one style channel's value for each image (read from the
generator's modulation while that image was made): its channel is the one true answer.
With ``style_dim`` 64 and 32 channels, a conv layer plus its to-RGB sibling have 64
style rows, so the to-RGB constraint can be met exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import latentroom.engine.plugins as plugins
from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import DirectionSource
from latentroom.plugins.directions.edit import edit_latents, to_wplus
from latentroom.plugins.directions.sampling import SampleBank, draw_bank, sample_w
from latentroom.plugins.directions.stylespace import (StyleInput, StyleSpace, effect_maps, rank_channels, realise,
                                           spread_over_layers)
from latentroom.plugins.directions.modulations import style_inputs
from latentroom.plugins.directions.testing import PlantedGenerator, image_stats_scorer, tiny_stylegan2

STYLE_DIM = 64
LAYER, CHANNEL = 3, 5  # convs.2, which shares W+ index 3 with to_rgbs.0


class ChannelScorer:
    """``planted`` = ``sign *`` style channel ``channel`` of ``module`` for the images
    just synthesised; ``other`` = the mean brightness (a second attribute)."""

    attributes = ("planted", "other")
    binary: frozenset[str] = frozenset()
    name = "channel-scorer"

    def __init__(self, module: torch.nn.Module, channel: int, sign: float = 1.0) -> None:
        self.channel, self.sign = channel, sign
        self.last: torch.Tensor | None = None
        module.conv.modulation.register_forward_hook(self._record)

    def _record(self, _module, _inputs, output: torch.Tensor) -> None:
        self.last = output.detach()

    def __call__(self, images: torch.Tensor) -> np.ndarray:
        assert self.last is not None and self.last.shape[0] == images.shape[0]
        planted = self.sign * self.last[:, self.channel]
        return torch.stack([planted, images.mean((1, 2, 3))], 1).double().numpy()


@pytest.fixture(scope="module")
def generator() -> torch.nn.Module:
    return tiny_stylegan2(size=16, style_dim=STYLE_DIM, seed=1)


@pytest.fixture(scope="module")
def world(generator) -> tuple[ChannelScorer, SampleBank]:
    scorer = ChannelScorer(generator.convs[2], CHANNEL)
    return scorer, draw_bank(generator, scorer, 300, seed=0)


def styles(generator: torch.nn.Module, ws: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every modulation's style output ``{module name: [B, C]}`` for W+ ``ws``."""
    captured: dict[str, torch.Tensor] = {}
    hooks = [module.register_forward_hook(lambda m, i, o, name=name: captured.__setitem__(name, o.detach().double()))
             for name, module in generator.named_modules() if name.endswith("modulation")]
    try:
        with torch.no_grad():
            generator.synthesis(ws)
    finally:
        for hook in hooks:
            hook.remove()
    return captured


def write_mask(path: Path, mask: np.ndarray) -> Path:
    Image.fromarray((mask * 255).astype(np.uint8), mode="L").save(path)
    return path


def test_stylespace_is_registered() -> None:
    plugins.reset()
    try:
        entry = plugins.registry().direction_sources["stylespace"]
        assert entry.plugin == "directions"
        assert isinstance(entry.value(), DirectionSource)
    finally:
        plugins.reset()


def test_realised_offset_moves_exactly_the_channel_and_keeps_the_to_rgb_style(generator) -> None:
    modulations = style_inputs(generator)[LAYER]
    assert sorted(m.kind for m in modulations) == ["conv", "rgb"]
    step = np.zeros(32)
    step[CHANNEL] = 2.5
    dw, report = realise(modulations, step)
    assert report["rgb_leak"] < 1e-8 < 0.05 < report["rgb_leak_pinv"]  # the constraint does the work
    ws = to_wplus(sample_w(generator, 4, seed=3), generator.n_latent)
    moved = ws.clone()
    moved[:, LAYER] += torch.from_numpy(dw).float()
    before, after = styles(generator, ws), styles(generator, moved)
    change = {name: after[name] - before[name] for name in before}
    target = change["convs.2.conv.modulation"]
    assert torch.allclose(target[:, CHANNEL], torch.full((4,), 2.5, dtype=torch.float64), rtol=1e-4)
    others = torch.cat([target[:, :CHANNEL], target[:, CHANNEL + 1 :]], 1)
    assert others.abs().max() <= 1e-4 * 2.5
    assert change["to_rgbs.0.conv.modulation"].abs().max() <= 1e-4 * 2.5
    untouched = [c for name, c in change.items() if name not in ("convs.2.conv.modulation", "to_rgbs.0.conv.modulation")]
    assert all(float(c.abs().max()) == 0.0 for c in untouched)


def test_planted_channel_is_found_and_the_direction_moves_only_it(generator, world) -> None:
    scorer, bank = world
    direction = StyleSpace().find(generator, "planted", scorer=scorer, bank=bank)
    details = direction.provenance.details
    assert direction.layers == (LAYER,) and details["layer"] == LAYER
    assert [(c["module"], c["channel"]) for c in details["channels"]] == [("convs.2", CHANNEL)]
    assert details["channels"][0]["relevance"] > 0 and details["rgb_leak"] < 1e-6
    # Through the saved-format path: the float32 unit vector, scale and layer mask.
    ws = to_wplus(sample_w(generator, 4, seed=5), generator.n_latent)
    before, after = styles(generator, ws), styles(generator, edit_latents(ws, direction, 2.0))
    target = after["convs.2.conv.modulation"] - before["convs.2.conv.modulation"]
    moved = target[:, CHANNEL]
    assert bool((moved > 0).all())  # positive strength raises the planted attribute
    per_sd = details["channel_sd_per_strength"][0] * details["channels"][0]["std"]
    assert torch.allclose(moved, torch.full_like(moved, 2.0 * per_sd), rtol=1e-4)
    assert (target.abs().max(1).values <= moved.abs() * (1 + 1e-4)).all()
    rest = torch.cat([target[:, :CHANNEL], target[:, CHANNEL + 1 :]], 1).abs().max(1).values
    assert bool((rest <= 1e-4 * moved.abs()).all())
    rgb = (after["to_rgbs.0.conv.modulation"] - before["to_rgbs.0.conv.modulation"]).abs().max(1).values
    assert bool((rgb <= 1e-4 * moved.abs()).all())


def test_a_negative_attribute_gets_a_negative_step(generator) -> None:
    scorer = ChannelScorer(generator.convs[2], CHANNEL, sign=-1.0)
    direction = StyleSpace().find(generator, "planted", scorer=scorer, samples=200)
    ws = to_wplus(sample_w(generator, 2, seed=5), generator.n_latent)
    before, after = styles(generator, ws), styles(generator, edit_latents(ws, direction, 1.0))
    assert direction.provenance.details["channels"][0]["relevance"] < 0
    assert bool(((after["convs.2.conv.modulation"] - before["convs.2.conv.modulation"])[:, CHANNEL] < 0).all())


def test_several_channels_come_from_one_layer(generator, world) -> None:
    scorer, bank = world
    direction = StyleSpace(channels=3).find(generator, "planted", scorer=scorer, bank=bank)
    chosen = direction.provenance.details["channels"]
    assert len(chosen) == 3 and {c["layer"] for c in chosen} == {direction.layers[0]}
    ranked = rank_channels(bank, "planted", style_inputs(generator), range(generator.n_latent), 0.3)
    assert ranked[0].index == CHANNEL and ranked[0].layer == LAYER
    assert abs(ranked[0].relevance) >= max(abs(c.relevance) for c in ranked[1:])


def test_region_candidates_are_spread_over_the_layers(generator, world) -> None:
    scorer, bank = world
    ranked = rank_channels(bank, "planted", style_inputs(generator), range(generator.n_latent), 0.3)
    tried = spread_over_layers(ranked, 10)
    per_layer = {layer: [c for c in ranked if c.layer == layer] for layer in (0, 1, 2, 3, 4)}
    assert sorted((c.layer, c.index) for c in tried) == sorted(
        (layer, c.index) for layer, channels in per_layer.items() for c in channels[:2])
    assert [abs(c.relevance) for c in tried] == sorted((abs(c.relevance) for c in tried), reverse=True)


def test_region_keeps_a_local_channel_and_rejects_one_acting_outside(generator, world, tmp_path: Path) -> None:
    scorer, bank = world
    planted = next(c for c in rank_channels(bank, "planted", style_inputs(generator), [LAYER], 0.3)
                   if c.index == CHANNEL)
    effect = effect_maps(generator, style_inputs(generator), [planted], torch.from_numpy(bank.ws[:8]).float())[0]
    where = effect >= np.median(effect)  # the half of the image where the channel acts most
    inside = write_mask(tmp_path / "inside.png", where.astype(np.float64))
    outside = write_mask(tmp_path / "outside.png", (~where).astype(np.float64))
    params = {"scorer": scorer, "bank": bank, "region_samples": 8, "region_candidates": 40}

    kept = StyleSpace().find(generator, "planted", region=str(inside), **params).provenance.details
    assert (kept["channels"][0]["module"], kept["channels"][0]["channel"]) == ("convs.2", CHANNEL)
    assert kept["channels"][0]["locality"] >= 0.5

    moved = StyleSpace().find(generator, "planted", region=str(outside), **params).provenance.details
    assert (moved["channels"][0]["module"], moved["channels"][0]["channel"]) != ("convs.2", CHANNEL)
    assert moved["channels"][0]["locality"] >= 0.5
    assert all((c["module"], c["channel"]) != ("convs.2", CHANNEL) for c in moved["candidates"])


def test_a_region_no_channel_acts_in_is_refused(generator, world, tmp_path: Path) -> None:
    scorer, bank = world
    corner = np.zeros((16, 16))
    corner[0, 0] = 1.0
    with pytest.raises(LatentroomError, match="none of the 4 channels tried acts inside the region"):
        StyleSpace().find(generator, "planted", scorer=scorer, bank=bank, region=str(write_mask(tmp_path / "c.png", corner)),
                          region_candidates=4, region_samples=2, locality=0.9)


@pytest.mark.parametrize("params, message", [
    ({"channels": 0}, "channels must be a positive integer"),
    ({"channels": "three"}, "channels must be a positive integer"),
    ({"channels": 1.5}, "channels must be a positive integer"),
    ({"locality": 0}, r"locality must be in \(0, 1\]"),
    ({"locality": 1.5}, r"locality must be in \(0, 1\]"),
    ({"layers": "5"}, "feed no styled convolution"),
    ({"layers": "9"}, "out of range"),
    ({"region_candidates": 0}, "region_candidates must be a positive integer"),
    ({"components": 3}, "has no parameter components"),
])
def test_bad_parameters_are_refused(generator, world, params, message: str, tmp_path: Path) -> None:
    scorer, bank = world
    region = write_mask(tmp_path / "all.png", np.ones((16, 16)))
    with pytest.raises(LatentroomError, match=message):
        StyleSpace().find(generator, "planted", scorer=scorer, bank=bank, region=str(region), **params)


def test_bad_region_files_are_refused_by_name(generator, world, tmp_path: Path) -> None:
    scorer, bank = world
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not an image")
    black = write_mask(tmp_path / "black.png", np.zeros((16, 16)))
    for path, message in [(tmp_path / "missing.png", "region mask not found"),
                          (garbage, "not a readable image"), (black, "region mask is empty")]:
        with pytest.raises(LatentroomError, match=f"{path.name}.*{message}"):
            StyleSpace().find(generator, "planted", scorer=scorer, bank=bank, region=str(path))


def test_a_region_of_another_size_is_resized(generator, world, tmp_path: Path) -> None:
    scorer, bank = world
    region = write_mask(tmp_path / "big.png", np.ones((64, 64)))
    direction = StyleSpace().find(generator, "planted", scorer=scorer, bank=bank, region=str(region),
                                  region_candidates=2, region_samples=2)
    assert direction.provenance.details["channels"][0]["locality"] == pytest.approx(1.0)


def test_a_generator_without_styles_is_refused() -> None:
    with pytest.raises(LatentroomError, match="StyleGAN2 layout"):
        StyleSpace().find(PlantedGenerator(), "brightness", scorer=image_stats_scorer(), samples=8)


def test_a_style_step_the_modulation_cannot_make_is_refused() -> None:
    wide = StyleInput("conv", "wide", np.random.default_rng(0).standard_normal((6, 4)))  # 6 channels, 4-d W
    step = np.zeros(6)
    step[0] = 1.0
    with pytest.raises(LatentroomError, match="wide cannot be realised in W.*rank 4 < 6"):
        realise([wide], step)
