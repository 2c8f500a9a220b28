"""The ``text`` direction source (StyleCLIP global directions) on a small random
StyleGAN2 and a planted text-image model whose embedding is a known function of
the image's colour statistics, so what a text asks for is known. (The shipped
toyfaces-clip on the toyfaces generator is measured in docs/text-edits.md.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from latentroom.engine import hookimpl, plugins
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.directions.sampling import sample_w
from latentroom.plugins.directions.modulations import style_inputs
from latentroom.plugins.directions.stylespace import realise
from latentroom.plugins.directions.testing import tiny_stylegan2
from latentroom.plugins.textimage.global_directions import (TextDirections, channel_steps, embedding_jacobian,
                                                            load_or_compute)

EMBED = 6
_MIX = torch.linalg.qr(torch.randn(EMBED, EMBED, generator=torch.Generator().manual_seed(3)))[0]


class ColourModel:
    """Embeds an image by its per-colour means and spreads, mixed by a fixed rotation.
    Texts: "a face" is the average image's embedding; "a red face" adds red."""

    name, embed_dim, image_size, weights_sha256 = "colour", EMBED, 16, "c0ffee"
    device = torch.device("cpu")
    base = torch.tensor([0.0, 0.0, 0.0, 0.5, 0.5, 0.5])

    @staticmethod
    def features(images: torch.Tensor) -> torch.Tensor:
        return torch.cat([images.mean((2, 3)), images.std((2, 3))], 1)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.features(images.float()) @ _MIX.T, dim=-1)

    def encode_texts(self, texts):
        offsets = {"a face": [0, 0, 0], "a red face": [1, 0, 0], "a blue face": [0, 0, 1], "a grey face": [0, 0, 0]}
        rows = [self.base + torch.tensor(offsets[t] + [0, 0, 0], dtype=torch.float32) for t in texts]
        return F.normalize(torch.stack(rows) @ _MIX.T, dim=-1)


class Models:
    @hookimpl
    def register_text_image_models(self, register):
        register("colour", lambda argument, device, **options: ColourModel())


@pytest.fixture(scope="module")
def generator() -> torch.nn.Module:
    return tiny_stylegan2(size=16, style_dim=32, seed=4)


@pytest.fixture()
def colour(monkeypatch) -> None:
    plugins.reset()
    plugins.register_plugin(Models(), name="colours")
    yield
    plugins.reset()


def test_the_jacobian_matches_finite_differences(generator) -> None:
    model = ColourModel()
    w = sample_w(generator, 1, seed=5)[0]
    jacobian = embedding_jacobian(generator, model, w[None, None], chunk=4)
    assert jacobian.shape == (EMBED, generator.n_latent, 32)
    table, offsets = channel_steps(style_inputs(generator), sample_w(generator, 500, 6).double().numpy())
    base = w.expand(1, generator.n_latent, -1)
    with torch.no_grad():
        start = model.encode_images(generator.synthesis(base)).double()
        for (layer, _, _), dw in list(zip(table, offsets))[::40]:
            moved = base.clone()
            moved[0, layer] += 1e-3 * torch.from_numpy(dw).float()
            finite = (model.encode_images(generator.synthesis(moved)).double() - start)[0] / 1e-3
            linear = jacobian[:, layer] @ dw
            assert np.allclose(finite.numpy(), linear, atol=2e-2 * np.abs(linear).max() + 1e-4)


def test_channel_steps_move_one_channel_by_one_sd(generator) -> None:
    inputs = style_inputs(generator)
    ws = sample_w(generator, 500, 6).double().numpy()
    table, offsets = channel_steps(inputs, ws)
    assert len(table) == sum(next(m for m in layer if m.kind == "conv").weight.shape[0]
                             for layer in inputs if any(m.kind == "conv" for m in layer))
    layer, index, std = table[7]
    conv = next(m for m in inputs[layer] if m.kind == "conv")
    moved = conv.weight @ offsets[7]
    assert moved[index] == pytest.approx(std) and np.abs(np.delete(moved, index)).max() < 1e-6 * std
    assert np.allclose(offsets[7], realise(inputs[layer], np.eye(len(moved))[index] * std)[0])


def test_a_text_direction_moves_the_image_toward_the_text(generator, colour, tmp_path: Path) -> None:
    cache = tmp_path / "relevance.npz"
    found = {}
    for text in ("a red face", "a blue face"):
        # In 6 dimensions unrelated directions have cosines near 0.4 (in CLIP's 512, near
        # 0.04), so the threshold that drops the unrelated channels is higher than StyleCLIP's.
        found[text] = TextDirections(model="colour").find(generator, text.split()[1], text=text, beta=0.4,
                                                          relevance_samples=3, relevance_cache=str(cache))
    model = ColourModel()
    ws = sample_w(generator, 24, seed=9).unsqueeze(1).repeat(1, generator.n_latent, 1)
    with torch.no_grad():
        before = model.encode_images(generator.synthesis(ws))
        wanted = {t: F.normalize(e - model.encode_texts(["a face"])[0], dim=0)
                  for t, e in zip(found, model.encode_texts(list(found)))}
        for text, other in (("a red face", "a blue face"), ("a blue face", "a red face")):
            offset = torch.from_numpy(found[text].offset(1.0)).float()
            change = (model.encode_images(generator.synthesis(ws + offset)) - before).mean(0)
            # The images' embeddings move toward the text, more than toward the other text.
            assert change @ wanted[text] > change @ wanted[other], text
            assert F.cosine_similarity(change, wanted[text], dim=0) > 0.3, text
    details = found["a red face"].provenance.details
    assert found["a red face"].provenance.parameters["text"] == "a red face"
    assert details["model"] == "colour" and 0 < details["channels_kept"] < details["channels"]
    assert details["style_fit"] > 0.2 and details["relevance_cache"] == str(cache)
    # The second text reused the first one's preprocessing.
    assert found["a blue face"].provenance.details["relevance_from_cache"] is True
    assert details["relevance_from_cache"] is False


def test_layers_restrict_the_channels_and_the_direction(generator, colour, tmp_path: Path) -> None:
    cache = str(tmp_path / "r.npz")
    fine = TextDirections(model="colour").find(generator, "red", text="a red face", beta=0.0, layers="3-5", relevance_samples=2,
                                 relevance_cache=cache)
    assert fine.layers == (3, 4, 5)
    assert {c["layer"] for c in fine.provenance.details["top_channels"]} <= {3, 4, 5}
    # beta 0 keeps every channel of the chosen layers, and only those.
    convs = [next(m for m in style_inputs(generator)[layer] if m.kind == "conv") for layer in (3, 4, 5) if any(m.kind == "conv" for m in style_inputs(generator)[layer])]
    assert fine.provenance.details["channels_kept"] == sum(m.weight.shape[0] for m in convs)


def test_user_mistakes_are_named(generator, colour, tmp_path: Path) -> None:
    cache = tmp_path / "r.npz"
    source = TextDirections(model="colour", relevance_samples=2, relevance_cache=str(cache))
    with pytest.raises(LatentroomError, match="give the text"):
        source.find(generator, "red")
    with pytest.raises(LatentroomError, match="embed alike"):
        source.find(generator, "grey", text="a grey face")
    with pytest.raises(LatentroomError, match=r"no channel of layers .* reaches beta=0.99"):
        source.find(generator, "red", text="a red face", beta=0.99)
    with pytest.raises(LatentroomError, match="beta must be in"):
        source.find(generator, "red", text="a red face", beta=1.5)
    with pytest.raises(LatentroomError, match="unknown text-image model 'clip'"):
        source.find(generator, "red", text="a red face", model="clip")
    cache.write_bytes(b"not a zip")
    with pytest.raises(LatentroomError, match=r"r.npz: unreadable relevance cache"):
        source.find(generator, "red", text="a red face")


def test_a_cache_for_other_models_is_recomputed(generator, colour, tmp_path: Path) -> None:
    cache = tmp_path / "r.npz"
    model = ColourModel()
    first, _, cached = load_or_compute(generator, model, 2, 0, 1.0, cache)
    assert not cached
    again, _, cached = load_or_compute(generator, model, 2, 0, 1.0, cache)
    assert cached and np.array_equal(again.change, first.change)
    model.weights_sha256 = "other"
    _, _, cached = load_or_compute(generator, model, 2, 0, 1.0, cache)
    assert not cached
