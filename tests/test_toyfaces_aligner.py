"""The shipped toyfaces aligner (two ONNX networks) on held-out composited scenes,
and the scenes' landmark truth from the renderer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from latentroom.engine.aligners import build_aligner
from latentroom.engine.alignment import face_size
from latentroom.engine.imaging import Picture
from latentroom.plugins.toyfaces.renderer import landmarks, render, sample_params
from latentroom.plugins.toyfaces.scenes import SCENE, scenes
from latentroom.plugins.toyfaces.train_aligner import evaluate

WEIGHTS = Path(__file__).resolve().parents[1] / "plugins" / "toyfaces" / "weights"


def test_renderer_landmarks_sit_on_the_drawn_features() -> None:
    params = sample_params(7, 16)
    images = render(params, 128).astype(np.float32)
    marks = landmarks(params, 128)
    for image, points in zip(images, marks):
        for x, y in points[:2]:  # eye centres: the white of the eye, with the dark iris/pupil near
            patch = image[int(y) - 2 : int(y) + 3, int(x) - 4 : int(x) + 5].mean(axis=2)
            assert patch.min() < 90 and patch.max() > 150
        for x, y in points[3:]:  # mouth corners: lip red within a pixel or two
            patch = image[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3]
            assert (patch[..., 0] > 1.8 * patch[..., 1]).any()


def test_held_out_scenes_recall_and_eye_error() -> None:
    # Scenes from a seed neither training (seed 0) nor the choice of the inference
    # settings (seed 1000, the training run's held-out scenes) ever used: toyfaces at
    # 0.5-3x, rotated up to 30 degrees, the smallest about 20 px wide.
    held_out = scenes(4242, 120)
    assert sum(len(s.landmarks) for s in held_out) >= 150
    metrics = evaluate(build_aligner("toyfaces"), held_out)
    assert metrics["recall"] >= 0.98, metrics
    assert metrics["eye_error_over_face_size_mean"] <= 0.03, metrics
    # The shipped networks with the whole-picture pass alone: 0.025 here (0.037 on seed 1000).
    assert metrics["false_positives_per_scene"] <= 0.025, metrics


def test_recorded_held_out_measurement() -> None:
    from latentroom.plugins.toyfaces import aligner

    record = json.loads((WEIGHTS / "aligner-eval.json").read_text())
    assert "--evaluate-only" in record["command"]
    assert record["inference"]["verify_threshold"] == aligner.VERIFY_THRESHOLD
    assert record["inference"]["refine_passes"] == aligner.REFINE_PASSES
    for metrics in record["metrics_by_seed"].values():
        assert metrics["held_out_scenes"] >= 300 and metrics["recall"] >= 0.98
        assert metrics["eye_error_over_face_size_mean"] <= 0.03


def test_recorded_training_run() -> None:
    record = json.loads((WEIGHTS / "aligner.json").read_text())
    assert record["command"].startswith("python -m latentroom.plugins.toyfaces.train_aligner")
    assert record["seed"] == 0 and record["metrics"]["held_out_scenes"] >= 200
    assert (WEIGHTS / "aligner-train.log").read_text().count("detector step") >= 10


def test_plain_renders_give_one_face_each() -> None:
    # A render filling the picture (what the bundled presets' examples are): one face,
    # and no part of it (an eye, seen by the zoomed tiles) taken for a second one.
    params = sample_params(5, 50)
    aligner = build_aligner("toyfaces")
    for image, truth in zip(render(params, 128), landmarks(params, 128)):
        faces = aligner.detect(image)
        assert len(faces) == 1
        assert np.linalg.norm(faces[0].landmarks[:2] - truth[:2], axis=1).mean() / face_size(truth) < 0.06


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
def test_single_face_scales_and_rotation(scale: float) -> None:
    from PIL import Image

    params = sample_params(11, 1)
    face = Image.fromarray(render(params, 128)[0])
    truth = landmarks(params, 128)[0]
    size = round(128 * scale)
    canvas = Image.new("RGB", (SCENE, SCENE), (40, 90, 160))
    big = face.resize((size, size), Image.Resampling.BICUBIC).rotate(20, resample=Image.Resampling.BICUBIC, expand=False)
    offset = ((SCENE - size) // 2, (SCENE - size) // 2)
    canvas.paste(big, offset)
    # Rotating by +20 degrees (counter-clockwise on screen) about the patch centre.
    angle = np.deg2rad(20)
    rot = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    expected = (truth * scale - size / 2) @ rot.T + size / 2 + offset
    faces = build_aligner("toyfaces").detect(np.asarray(canvas))
    assert len(faces) == 1
    error = np.linalg.norm(faces[0].landmarks[:2] - expected[:2], axis=1).max() / face_size(expected)
    assert error < 0.05


def test_apply_edits_every_toyface_of_a_scene(tmp_path: Path) -> None:
    # A toyfaces preset with its template, applied with the toyfaces aligner: every face
    # of a composited scene changes, the background between them does not.
    from latentroom.engine.presets import load_preset, read_bundle, write_bundle
    from latentroom.plugins.toyfaces.alignment import alignment_section

    bundle = read_bundle(Path(__file__).resolve().parents[1] / "presets" / "age")
    manifest = dict(bundle.manifest, alignment=alignment_section(128, aligner="toyfaces"))
    preset = load_preset(write_bundle(tmp_path / "age", manifest, bundle.model_bytes))
    scene = next(s for s in scenes(77, 30) if len(s.landmarks) >= 2)
    out = preset.apply(scene.image)
    change = np.abs(out.astype(int) - scene.image.astype(int)).sum(axis=2)
    for points in scene.landmarks:
        x, y = points.mean(axis=0).astype(int)
        r = max(4, int(face_size(points) / 3))
        assert change[max(0, y - r) : y + r, max(0, x - r) : x + r].sum() > 0
    assert np.array_equal(preset.apply(scene.image, strength=0.0), scene.image)
    faces = preset.planner().detect(Picture(scene.image, None, "RGB"))
    assert len(faces) == len(scene.landmarks)
