"""Direction source ``text``: StyleCLIP's global directions (Patashnik et al., 2021, sec. 6).

Preprocessing, once per generator and text-image model (:func:`channel_relevance`):
for every styled-convolution channel ``c`` (StyleSpace's channels), the change
``di_c`` of the image embedding when the channel's style moves by one standard
deviation, averaged over ``relevance_samples`` images. StyleCLIP measures it by
rendering each channel's perturbation; here it is the linearisation of the same
quantity, ``di_c = mean_n J_n dw_c``, where ``J_n`` is the Jacobian of the
embedding of ``G(w_n)`` with respect to the W+ latent (one backward pass per
embedding dimension, all channels at once) and ``dw_c`` the W offset on the
channel's layer that moves exactly that channel (StyleSpace's
:func:`~latentroom.plugins.directions.stylespace.realise`). That turns
``channels x samples`` renders into ``embed_dim x samples`` backward passes, which
is what makes it feasible on a CPU. The result is cached in an ``.npz`` file keyed by
both models' weights (parameter ``relevance_cache``).

A text (per call, milliseconds): ``dt`` = embedding of ``text`` minus that of
``neutral`` (normalised); each channel's relevance is the cosine between ``di_c`` and
``dt``; channels below ``beta`` (the disentanglement threshold) are dropped, the rest
move by ``relevance / max relevance`` standard deviations. As a latentroom
:class:`~latentroom.engine.direction.Direction` is one W vector on a set of layers, the
style step is realised as the W vector whose styles on the chosen ``layers`` match it
best in least squares, each channel in its own standard deviations and weighted by
its effect on the embedding ``|di_c|`` (unweighted, the many channels the image model
barely sees outvote the few that carry the edit); how much of the step it keeps is
reported as ``style_fit`` (a weighted cosine) in the provenance details.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from latentroom.engine.atomic import atomic_write_bytes
from latentroom.engine.direction import parse_layers
from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator, TextImageModel
from latentroom.plugins.directions.sampling import sample_w
from latentroom.plugins.directions.modulations import StyleInput, style_inputs
from latentroom.plugins.directions.source_base import DirectionSourceBase, FindContext
from latentroom.plugins.directions.stylespace import realise, style_values

CACHE_VERSION = 1
STYLE_STD_SAMPLES = 4096


@dataclass(frozen=True)
class Relevance:
    """Preprocessed channel effects of one generator seen by one text-image model."""

    layer: np.ndarray  # [C] W+ index of each conv channel
    index: np.ndarray  # [C] channel within its module
    std: np.ndarray  # [C] style standard deviation
    change: np.ndarray  # [C, embed_dim] embedding change per +1 sd of the channel
    seconds: float  # how long the preprocessing took
    key: str

    def to_npz(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, layer=self.layer, index=self.index, std=self.std, change=self.change,
                 seconds=np.float64(self.seconds), key=np.array(self.key), version=np.int64(CACHE_VERSION))
        return buffer.getvalue()

    @classmethod
    def from_npz(cls, path: Path, key: str) -> "Relevance | None":
        """The cached relevance at ``path`` when it was made for ``key``; ``None`` when
        it was made for other models; an error naming the file when it is damaged."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["version"]) != CACHE_VERSION or str(data["key"]) != key:
                    return None
                found = cls(data["layer"].astype(np.int64), data["index"].astype(np.int64),
                            data["std"].astype(np.float64), data["change"].astype(np.float64),
                            float(data["seconds"]), key)
        except (OSError, ValueError, KeyError) as exc:
            raise LatentroomError(f"{path}: unreadable relevance cache ({exc}); delete it to recompute") from None
        count = len(found.layer)
        if not (found.index.shape == found.std.shape == (count,) and found.change.ndim == 2
                and found.change.shape[0] == count and np.isfinite(found.change).all()):
            raise LatentroomError(f"{path}: relevance cache arrays disagree in shape; delete it to recompute")
        return found


def cache_key(generator: Generator, model: TextImageModel, samples: int, seed: int, truncation: float) -> str:
    return json.dumps({"generator": generator.weights_sha256, "model": model.name, "model_sha256": model.weights_sha256,
                       "samples": samples, "seed": seed, "truncation": truncation}, sort_keys=True)


def default_cache_path(key: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "latentroom" / "text-relevance" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.npz"


def embedding_jacobian(generator: Generator, model: TextImageModel, w: torch.Tensor, chunk: int = 16) -> np.ndarray:
    """``d embedding(G(w)) / d w+``: ``[embed_dim, n_latent, style_dim]`` for one ``w``
    ``[style_dim]``. Rows are computed ``chunk`` at a time: the latent is repeated once
    per row and each copy backpropagates its own embedding coordinate."""
    device = torch.device(generator.device)
    rows = []
    for start in range(0, model.embed_dim, chunk):
        dims = torch.arange(start, min(start + chunk, model.embed_dim), device=device)
        ws = w.to(device).expand(len(dims), generator.n_latent, -1).clone().requires_grad_(True)
        embedding = model.encode_images(generator.synthesis(ws, noise_mode="const").float())
        embedding.gather(1, dims[:, None].to(embedding.device)).sum().backward()
        rows.append(ws.grad.detach().double().cpu().numpy())
    return np.concatenate(rows)


def channel_steps(inputs: Sequence[Sequence[StyleInput]], ws: np.ndarray) -> tuple[list[tuple[int, int, float]], list[np.ndarray]]:
    """Every conv channel as ``(layer, index, style sd)`` and, per channel, the W offset on
    its layer that moves that channel alone by one sd (``realise``)."""
    table, offsets = [], []
    for layer, modulations in enumerate(inputs):
        conv = next((m for m in modulations if m.kind == "conv"), None)
        if conv is None:
            continue
        std = style_values(ws, conv).std(0)
        for channel in range(conv.weight.shape[0]):
            step = np.zeros(conv.weight.shape[0])
            step[channel] = std[channel]
            offsets.append(realise(modulations, step)[0])
            table.append((layer, channel, float(std[channel])))
    return table, offsets


def channel_relevance(generator: Generator, model: TextImageModel, samples: int, seed: int,
                      truncation: float, log: Any = None) -> Relevance:
    """The preprocessing of the module docstring: every conv channel's embedding change."""
    started = time.time()
    inputs = style_inputs(generator)
    table, offsets = channel_steps(inputs, sample_w(generator, STYLE_STD_SAMPLES, seed + 1).double().numpy())
    jacobian = np.zeros((model.embed_dim, generator.n_latent, generator.style_dim))
    for n, w in enumerate(sample_w(generator, samples, seed, truncation)):
        jacobian += embedding_jacobian(generator, model, w[None, None]) / samples
        if log is not None:
            log(f"relevance: sample {n + 1}/{samples} ({time.time() - started:.0f}s)")
    change = np.stack([jacobian[:, layer] @ dw for (layer, _, _), dw in zip(table, offsets)])
    layer, index, std = (np.array(column) for column in zip(*table))
    return Relevance(layer.astype(np.int64), index.astype(np.int64), std.astype(np.float64), change,
                     time.time() - started, cache_key(generator, model, samples, seed, truncation))


def load_or_compute(generator: Generator, model: TextImageModel, samples: int, seed: int, truncation: float,
                    cache: str | os.PathLike[str] | None, log: Any = None) -> tuple[Relevance, Path, bool]:
    """(relevance, cache file, whether it came from the cache); ``log(message)`` hears
    the preprocessing's progress."""
    key = cache_key(generator, model, samples, seed, truncation)
    path = Path(cache) if cache else default_cache_path(key)
    if path.exists():
        found = Relevance.from_npz(path, key)
        if found is not None:
            return found, path, True
    relevance = channel_relevance(generator, model, samples, seed, truncation, log)
    atomic_write_bytes(path, relevance.to_npz())
    return relevance, path, False


def embedding_delta(model: TextImageModel, text: str, neutral: str) -> np.ndarray:
    """The text's embedding minus the neutral text's (an image embedding times it is
    ``cos(image, text) - cos(image, neutral)``); texts that embed alike are an error."""
    with torch.no_grad():
        target, base = model.encode_texts([text, neutral]).double().cpu().numpy()
    delta = target - base
    if np.linalg.norm(delta) < 1e-6:
        raise LatentroomError(f"text: {text!r} and the neutral text {neutral!r} embed alike; "
                              "nothing to move toward")
    return delta


def text_delta(model: TextImageModel, text: str, neutral: str) -> np.ndarray:
    """The unit direction from the neutral text's embedding to the text's."""
    delta = embedding_delta(model, text, neutral)
    return delta / np.linalg.norm(delta)


def style_step(relevance: Relevance, delta: np.ndarray, beta: float, layers: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(per-channel cosine with the text direction, the step in channel sds: cosine over
    the largest kept cosine, zero below ``beta`` or outside ``layers``)."""
    norms = np.maximum(np.linalg.norm(relevance.change, axis=1), 1e-12)
    cosine = relevance.change @ delta / norms
    kept = (np.abs(cosine) >= beta) & np.isin(relevance.layer, layers)
    if not kept.any():
        best = float(np.abs(cosine[np.isin(relevance.layer, layers)]).max())
        raise LatentroomError(f"text: no channel of layers {list(layers)} reaches beta={beta:g} "
                              f"(the most relevant has {best:.3f}); lower beta")
    step = np.where(kept, cosine, 0.0) / np.abs(cosine[kept]).max()
    return cosine, step


def realise_on_layers(inputs: Sequence[Sequence[StyleInput]], relevance: Relevance, step: np.ndarray,
                      layers: Sequence[int]) -> tuple[np.ndarray, float]:
    """The W vector whose conv styles on ``layers`` best match ``step`` (in channel sds),
    each channel's error weighted by how much one sd of it changes the embedding (a
    channel the image model barely sees costs little to miss), and the weighted cosine
    between the styles it makes and the step."""
    rows, targets, weights = [], [], []
    effect = np.linalg.norm(relevance.change, axis=1)
    for layer in layers:
        conv = next((m for m in inputs[layer] if m.kind == "conv"), None)
        if conv is None:
            continue
        mine = np.flatnonzero(relevance.layer == layer)
        mine = mine[np.argsort(relevance.index[mine])]
        rows.append(conv.weight / relevance.std[mine][:, None])
        targets.append(step[mine])
        weights.append(effect[mine])
    weight = np.concatenate(weights) / max(np.concatenate(weights).max(), 1e-12)
    a, target = np.concatenate(rows) * weight[:, None], np.concatenate(targets) * weight
    dw, *_ = np.linalg.lstsq(a, target, rcond=None)
    made = a @ dw
    fit = float(made @ target / max(np.linalg.norm(made) * np.linalg.norm(target), 1e-12))
    return dw, fit


class TextDirections(DirectionSourceBase):
    """StyleCLIP global directions (module docstring).

    Parameters: ``text`` (required) and ``neutral`` ("a face"); ``model``
    (any registered text-image model spec; "auto", the default, is the generator's
    ``default_text_image_model``, and an error when it names none), ``vocab`` and
    ``activation`` (its BPE file and MLP activation, for ``openclip``); ``beta`` (0.15), the disentanglement threshold on a
    channel's cosine with the text direction; ``relevance_samples`` (8) images the
    preprocessing averages over and ``relevance_cache`` (a path; default a file under
    ``$XDG_CACHE_HOME/latentroom/text-relevance`` named by both models' weights);
    ``layers`` restricts both the channels and the layers the direction applies to.
    """

    name = "text"
    defaults = {"text": None, "neutral": "a face", "model": "auto", "vocab": None, "activation": None,
                "beta": 0.15, "relevance_samples": 8, "relevance_cache": None}

    def _labels_samples(self, merged: Mapping[str, Any]) -> bool:
        return False  # the text-image model, not a scorer, says what the edit is

    def vector(self, ctx: FindContext) -> np.ndarray:
        from latentroom.plugins.textimage.model_choice import resolve_for_generator

        p, generator = ctx.params, ctx.generator
        if not isinstance(p["text"], str) or not p["text"].strip():
            raise LatentroomError("text: give the text to edit toward, e.g. --param text='a smiling face'")
        beta = float(p["beta"])
        if not 0.0 <= beta < 1.0:
            raise LatentroomError(f"text: beta must be in [0, 1), got {p['beta']!r}")
        options = {k: p[k] for k in ("vocab", "activation") if p[k]}
        model = resolve_for_generator(generator, p["model"], str(generator.device), "--param model=NAME", **options)
        layers = parse_layers(None if p["layers"] == "auto" else p["layers"], generator.n_latent)
        relevance, cache, cached = load_or_compute(generator, model, int(p["relevance_samples"]), int(p["seed"]),
                                                   float(p["truncation"]), p["relevance_cache"])
        started = time.time()
        delta = text_delta(model, p["text"], str(p["neutral"]))
        cosine, step = style_step(relevance, delta, beta, layers)
        dw, fit = realise_on_layers(style_inputs(generator), relevance, step, layers)
        top = np.argsort(-np.abs(step))[:8]
        ctx.details.update({
            "model": model.name, "model_sha256": model.weights_sha256, "channels_kept": int((step != 0).sum()),
            "channels": int(len(step)), "style_fit": fit, "relevance_cache": str(cache),
            "relevance_seconds": relevance.seconds, "relevance_from_cache": cached,
            "text_seconds": time.time() - started,
            "top_channels": [{"layer": int(relevance.layer[i]), "channel": int(relevance.index[i]),
                              "cosine": float(cosine[i])} for i in top],
        })
        return dw
