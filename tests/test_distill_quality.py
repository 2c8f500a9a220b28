"""Distillation quality metrics on held-out renders (``latentroom.plugins.distill.quality``) and
the quality label they feed (``latentroom.engine.presets.quality_label``).

The full measurement wants the toyfaces classifier and 128² renders of a trained
generator; here the same code runs on 32² renders (the classifier resizes them),
a tiny random StyleGAN2 for the generator path and a random student as the preset,
so what is checked is the plumbing: every metric present, finite, and consistent.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from latentroom.engine.direction import Direction, Provenance
from latentroom.engine.presets import quality_label
from latentroom.plugins.distill.quality import RENDER_SEED, held_out_renders, measure_quality, preview_png
from test_invert import _one_thread  # noqa: F401  (autouse: one torch thread for tiny convolutions)


@pytest.fixture(scope="module")
def setup() -> dict:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.distill.export import export_onnx
    from test_distill import random_student

    g = tiny_stylegan2(size=32)
    direction = Direction.from_vector(np.random.default_rng(1).standard_normal(g.style_dim), g.n_latent,
                                      Provenance("test", "smile"), scale=1.0)
    return {"g": g, "direction": direction, "model": export_onnx(random_student(), 32)}


def test_held_out_renders_are_reproducible_and_disjoint() -> None:
    a, params = held_out_renders(4, 32)
    b, _ = held_out_renders(4, 32)
    training_like, _ = held_out_renders(4, 32, seed=0)
    assert a.shape == (4, 3, 32, 32) and a.dtype == np.float32 and -1 <= a.min() and a.max() <= 1
    assert np.array_equal(a, b) and not np.array_equal(a, training_like)
    assert RENDER_SEED >= 50_000 and set(params) >= {"smile", "glasses"}


def test_measure_quality_reports_every_metric(setup: dict) -> None:
    from latentroom.engine.plugins import get_inverter
    from latentroom.plugins.directions.scoring import build_scorer

    images, params = held_out_renders(6, 32)
    inverter = get_inverter("projector").value(setup["g"], "cpu", steps=2, features="none")
    lines: list[str] = []
    metrics, details = measure_quality(setup["model"], images, params, setup["direction"], 1.0,
                                       build_scorer("toyfaces-classifier", "cpu"), setup["g"], inverter, batch_size=4, echo=lines.append)
    expected = {"n_images", "eval_strength", "target_change", "other_change_mean", "other_change_max",
                "psnr_input_output", "target_change_generator_path", "other_change_generator_path",
                "psnr_generator_path", "target_change_ground_truth", "other_change_ground_truth"}
    assert expected <= set(metrics)
    assert all(math.isfinite(v) for v in metrics.values())
    assert metrics["n_images"] == 6 and lines[-1] == "quality: 6/6 images"
    if "target_ratio_vs_generator_path" in metrics:
        ratio = metrics["target_change"] / metrics["target_change_generator_path"]
        assert metrics["target_ratio_vs_generator_path"] == pytest.approx(ratio, rel=1e-3, abs=1e-4)
    assert set(details["change_preset"]) >= {"smile", "age", "glasses"}
    assert details["ground_truth_amount"] == pytest.approx(metrics["target_change"], abs=1e-4)
    # The generator path through a random generator wrecks the image; the preset does not.
    assert metrics["psnr_input_output"] > metrics["psnr_generator_path"]


def test_measure_quality_without_generator_path_or_truth(setup: dict) -> None:
    from latentroom.plugins.directions.testing import image_stats_scorer

    images, _ = held_out_renders(3, 32)
    bright = Direction.from_vector(np.ones(setup["g"].style_dim), setup["g"].n_latent,
                                   Provenance("test", "brightness"))
    metrics, _ = measure_quality(setup["model"], images, None, bright, -1.0, image_stats_scorer())
    assert "target_change_generator_path" not in metrics and "target_change_ground_truth" not in metrics
    assert metrics["eval_strength"] == -1.0


def test_measure_quality_needs_the_attribute(setup: dict) -> None:
    from latentroom.plugins.directions.testing import image_stats_scorer
    from latentroom.plugins.distill.errors import DistillError

    images, _ = held_out_renders(2, 32)
    with pytest.raises(DistillError, match="does not report 'smile'"):
        measure_quality(setup["model"], images, None, setup["direction"], 1.0, image_stats_scorer())


def test_preview_strip(setup: dict) -> None:
    images, _ = held_out_renders(3, 32)
    data = preview_png(setup["model"], images, [-2.0, 1.0, 2.0])
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG" and img.size == (4 * 32 * 3, 3 * 32 * 3)  # 4 columns, tiles x3


def test_quality_label_grades_the_edit_ratio() -> None:
    assert quality_label({"psnr": 33, "target_ratio_vs_generator_path": 0.95}).startswith("excellent")
    assert quality_label({"psnr": 33, "target_ratio_vs_generator_path": 1.25}).startswith("good")  # 1/1.25 = 0.8
    assert quality_label({"psnr": 33, "target_ratio_vs_generator_path": 0.6}).startswith("fair")
    assert quality_label({"psnr": 33, "target_ratio_vs_generator_path": -0.4}).startswith("poor")  # wrong way
    label = quality_label({"psnr": 28.5, "target_ratio_vs_generator_path": 0.93, "target_change": 0.2})
    assert label == "good (psnr 28.5, target_ratio_vs_generator_path 0.93)"
