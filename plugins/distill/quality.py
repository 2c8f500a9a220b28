"""Quality of a distilled preset, measured on held-out renders (real images of the
toyfaces world, never seen in training: renderer seed ``RENDER_SEED`` and up).

For every image ``x`` and the evaluation strength ``s`` (the preset's default):

* **preset**: ``p = preset(x, s)`` through ONNX Runtime, the model that ships;
* **generator path**: ``g = G(invert(x) + s * offset)`` with a registered inverter
  (``hybrid`` by default, its fitted noise maps reused, as ``latentroom edit`` does);
* **ground truth** (toyfaces attributes only): the renderer's own edit of the same
  face parameters, by the preset's mean measured change on the attribute's 0-1 scale
  (binary attributes: switched on or off following the sign of that change).

The scorer (default: the toyfaces attribute classifier; any
:mod:`latentroom.plugins.directions.scoring` scorer) scores every image; changes are
``score(edited) - score(x)`` per image, averaged. Metrics (manifest ``metrics``):

``target_change``, ``target_change_generator_path``, ``target_change_ground_truth``
    mean change of the edited attribute (0-1 scale) for preset, generator path, truth;
``target_ratio_vs_generator_path``
    ``target_change / target_change_generator_path`` (1 = the preset edits as strongly);
``other_change_mean``, ``other_change_max``, ``other_change_generator_path``, ``other_change_ground_truth``
    mean over the other attributes of the mean absolute change (max: the worst one);
``psnr_input_output``, ``psnr_generator_path``
    PSNR (dB) between input and edited image: how much of the image is preserved;
``direction_agreement_ground_truth``
    share of images (where the true edit moves the score by > 0.05) on which the
    preset moves the attribute the same way as the true edit;
``n_images``, ``eval_strength``.
"""

from __future__ import annotations

import io
from typing import Any, Callable, Sequence

import numpy as np
import torch

from latentroom.engine.direction import Direction
from latentroom.plugins.directions.scoring import score_images
from latentroom.plugins.distill.export import psnr_np, run_onnx

RENDER_SEED = 50_000
"""Held-out renders come from renderer seed 50 000 on (training uses GAN samples only,
the GAN itself was trained on seeds far below; docs/toyfaces.md)."""
AGREEMENT_MIN_CHANGE = 0.05


def held_out_renders(n: int, size: int, seed: int = RENDER_SEED) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(images float32 [n, 3, size, size] in [-1, 1], renderer params)``."""
    from latentroom.plugins.toyfaces.renderer import render, sample_params

    params = sample_params(np.random.default_rng(seed), n)
    return to_model(render(params, size=size)), params


def to_model(pixels: np.ndarray) -> np.ndarray:
    """uint8 ``[N, H, W, 3]`` -> float32 ``[N, 3, H, W]`` in ``[-1, 1]``."""
    return (pixels.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0).astype(np.float32)


def to_pixels(images: np.ndarray) -> np.ndarray:
    """float ``[N, 3, H, W]`` in ``[-1, 1]`` -> uint8 ``[N, H, W, 3]``."""
    return np.rint((np.clip(images, -1, 1) + 1) * 127.5).astype(np.uint8).transpose(0, 2, 3, 1)


class _Scores:
    """Per-image scores of several image sets, accumulated batch by batch."""

    def __init__(self) -> None:
        self.parts: dict[str, list[dict[str, np.ndarray]]] = {}

    def add(self, key: str, scores: dict[str, np.ndarray]) -> None:
        self.parts.setdefault(key, []).append(scores)

    def get(self, key: str) -> dict[str, np.ndarray]:
        parts = self.parts[key]
        return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _changes(before: dict[str, np.ndarray], after: dict[str, np.ndarray], target: str) -> tuple[float, float, float, dict[str, float]]:
    """``(target mean change, other mean |change|, other max |change|, per attribute)``."""
    per = {name: float(np.mean(after[name] - before[name])) for name in before}
    others = [float(np.mean(np.abs(after[n] - before[n]))) for n in before if n != target]
    return per[target], float(np.mean(others)) if others else 0.0, max(others) if others else 0.0, per


def measure_quality(model_bytes: bytes, images: np.ndarray, params: dict[str, np.ndarray] | None,
                    direction: Direction, strength: float, scorer: Callable[..., Any],
                    generator: Any = None, inverter: Any = None, batch_size: int = 32,
                    echo: Callable[[str], None] = lambda _: None) -> tuple[dict[str, float], dict[str, Any]]:
    """``(metrics, details)`` for the preset ``model_bytes`` on ``images`` (see the
    module docstring). ``inverter`` None skips the generator path; ``params`` None (or
    an attribute the renderer does not know) skips the ground truth."""
    from latentroom.plugins.directions.edit import edit_latents
    from latentroom.plugins.distill.export import session
    from latentroom.plugins.inverters.common import supports_noise, synthesize

    target = direction.attribute
    truth = params is not None and _renderer_knows(target)
    sess = session(model_bytes)
    scores = _Scores()
    psnr_p: list[np.ndarray] = []
    psnr_g: list[np.ndarray] = []
    n = len(images)
    for start in range(0, n, batch_size):
        x = images[start:start + batch_size]
        xt = torch.from_numpy(x)
        first = score_images(scorer, xt)
        if target not in first:
            raise _missing(scorer, target, first)
        scores.add("input", first)
        out = run_onnx(sess, x, np.full(len(x), strength, np.float32), batch_size)
        scores.add("preset", score_images(scorer, torch.from_numpy(out)))
        psnr_p.append(psnr_np(x, out))
        if inverter is not None:
            ws = inverter.invert(xt.to(generator.device))
            noise = getattr(inverter, "last_noise", None)
            with torch.no_grad():
                edited = synthesize(generator, edit_latents(ws.to(generator.device), direction, strength),
                                    noise if supports_noise(generator) else None).float().clamp(-1, 1).cpu()
            if edited.shape[-1] != x.shape[-1]:  # a generator of another size: compare at the input's
                from latentroom.plugins.inverters.features import resize

                edited = resize(edited, x.shape[-1])
            scores.add("generator", score_images(scorer, edited))
            psnr_g.append(psnr_np(x, edited.numpy()))
        echo(f"quality: {min(start + batch_size, n)}/{n} images")
    before = scores.get("input")
    t, o_mean, o_max, per = _changes(before, scores.get("preset"), target)
    metrics: dict[str, float] = {"n_images": float(n), "eval_strength": float(strength), "target_change": t,
                                 "other_change_mean": o_mean, "other_change_max": o_max,
                                 "psnr_input_output": float(np.concatenate(psnr_p).mean())}
    details: dict[str, Any] = {"attribute": target, "change_preset": per, "render_seed": RENDER_SEED}
    if inverter is not None:
        tg, og, og_max, per_g = _changes(before, scores.get("generator"), target)
        metrics.update(target_change_generator_path=tg, other_change_generator_path=og,
                       psnr_generator_path=float(np.concatenate(psnr_g).mean()))
        if abs(tg) > 1e-6:
            metrics["target_ratio_vs_generator_path"] = t / tg
        details["change_generator_path"] = per_g
    if truth:
        assert params is not None
        metrics.update(_ground_truth(images, params, target, t, per_image_change=scores.get("preset")[target] - before[target],
                                     before=before, scorer=scorer, batch_size=batch_size, details=details))
    return {k: round(float(v), 5) for k, v in metrics.items()}, details


def _renderer_knows(attribute: str) -> bool:
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

    return attribute in ATTRIBUTE_NAMES


def _missing(scorer: Any, target: str, scores: dict[str, np.ndarray]) -> Exception:
    from latentroom.plugins.distill.errors import DistillError
    from latentroom.plugins.directions.scoring import scorer_name

    return DistillError(f"scorer {scorer_name(scorer)} does not report '{target}', the direction's attribute "
                        f"(it reports {', '.join(sorted(scores))}); pass --scorer for one that does")


def _ground_truth(images: np.ndarray, params: dict[str, np.ndarray], target: str, mean_change: float,
                  per_image_change: np.ndarray, before: dict[str, np.ndarray], scorer: Callable[..., Any],
                  batch_size: int, details: dict[str, Any]) -> dict[str, float]:
    from latentroom.plugins.toyfaces.renderer import edit, render

    size = images.shape[-1]
    amount = float(mean_change)
    edited = edit(params, target, amount)
    truth = _Scores()
    n = len(images)
    for start in range(0, n, batch_size):
        part = {k: v[start:start + batch_size] for k, v in edited.items()}
        truth.add("truth", score_images(scorer, torch.from_numpy(to_model(render(part, size=size)))))
    tt, ot, _, per_t = _changes(before, truth.get("truth"), target)
    true_change = truth.get("truth")[target] - before[target]
    moved = np.abs(true_change) > AGREEMENT_MIN_CHANGE
    out = {"target_change_ground_truth": tt, "other_change_ground_truth": ot}
    if moved.any():
        agree = np.sign(per_image_change[moved]) == np.sign(true_change[moved])
        out["direction_agreement_ground_truth"] = float(agree.mean())
    details["change_ground_truth"] = per_t
    details["ground_truth_amount"] = amount
    return out


def preview_png(model_bytes: bytes, images: np.ndarray, strengths: Sequence[float], min_tile: int = 96) -> bytes:
    """A before/after strip: one row per image, the input first, then the preset at
    each strength. Tiles are upscaled (nearest) to at least ``min_tile`` pixels."""
    from PIL import Image

    from latentroom.plugins.distill.export import session

    sess = session(model_bytes)
    columns = [images] + [run_onnx(sess, images, np.full(len(images), s, np.float32)) for s in strengths]
    tiles = np.stack([to_pixels(c) for c in columns], axis=1)  # [rows, cols, H, W, 3]
    rows, cols, h, w, _ = tiles.shape
    grid = tiles.transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, 3)
    factor = max(1, -(-min_tile // h))
    img = Image.fromarray(grid)
    if factor > 1:
        img = img.resize((img.width * factor, img.height * factor), Image.NEAREST)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


__all__ = ["RENDER_SEED", "held_out_renders", "measure_quality", "preview_png", "to_model", "to_pixels"]
