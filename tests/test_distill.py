"""Distillation (``latentroom.plugins.distill``): the student, ONNX export and variants, resumable
training, and ``latentroom author`` end to end on a tiny StyleGAN2 checkpoint.

Everything runs on the CPU: a 32x32 generator (style_dim 32, 8 W+ layers) with a
direction on the ``brightness`` attribute of the pixel-statistics test scorer, and a
three-level student of ~40 k parameters trained for a handful of steps. The numbers
checked are the pipeline's guarantees (parity, identity at strength 0, a valid
bundle), not the quality a real run reaches.
"""

from __future__ import annotations

import json
from dataclasses import replace
from importlib.metadata import distribution
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from PIL import Image

import latentroom.engine.plugins as plugins
from latentroom.engine.cli import cli
from latentroom.engine.direction import Direction, Provenance
from latentroom.plugins.distill.errors import DistillError
from latentroom.plugins.distill.export import psnr_where_edited, check_parity, export_onnx, fp16_variant, int8_variant, run_onnx, session
from latentroom.plugins.distill.gate import PresenceGate, resolve_gate
from latentroom.plugins.distill.grain import GrainJitter
from latentroom.plugins.distill.jitter import Jitter
from latentroom.plugins.distill.plugin import author_command
from latentroom.plugins.distill.pairs import PairPool, PairSampler, from_bytes, to_bytes
from latentroom.plugins.distill.paint import COVERAGE_HIGH, COVERAGE_LOW, paint_terms, teacher_coverage
from latentroom.plugins.distill.student import (FLATTEN_FULL_AT, FLATTEN_START_LOGIT, FLATTENING_HEADS, HEADS,
                                               MAX_PARAMETERS, PAINT_FULL_AT, PAINT_HARDNESS, BinomialBlur, Student,
                                               StudentConfig, conv_macs, count_parameters)
from latentroom.plugins.directions.testing import ImageStatsScorer
from latentroom.plugins.distill.train import (STATE_FILE, TrainSettings, absolute_pixels_at, load_state, pixel_distance,
                                             train_student)
from preset_fixtures import rebuilt_manifest
from script_loader import load_script
from test_invert import _one_thread  # noqa: F401  (autouse: one torch thread for tiny convolutions)

SCORER = "latentroom.plugins.directions.testing:image_stats_scorer"
TINY = StudentConfig(widths=(8, 16, 16), embed_dim=16, strength_scale=2.0)
EVERY_HEAD = [replace(TINY, head=head) for head in HEADS]  # in HEADS' order: the parametrize ids
IDENTITY_TOL = 1e-6  # strength 0 is x + 0 * r: only float noise is allowed
PARITY_TOL = 1e-3


@pytest.fixture(autouse=True)
def fresh_registry():
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tiny generator checkpoint and a brightness direction for it."""
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import load_generator, save_checkpoint

    root = tmp_path_factory.mktemp("distill")
    ckpt = save_checkpoint(root / "g.pt", tiny_stylegan2(size=32))
    g = load_generator(ckpt)
    vector = np.random.default_rng(0).standard_normal(g.style_dim)
    direction = Direction.from_vector(vector, g.n_latent, Provenance("test", "brightness"), layers="coarse",
                                      scale=1.5, strength_range=(-2.0, 2.0))
    return {"root": root, "ckpt": ckpt, "g": g, "direction": direction, "dfile": direction.save(root / "bright")}


def random_student(config: StudentConfig = TINY, seed: int = 0) -> Student:
    """A student with every weight random (a fresh one starts as the identity)."""
    torch.manual_seed(seed)
    model = Student(config)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.15)
    return model.eval()


def images(n: int = 3, size: int = 32, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# --------------------------------------------------------------------------- student


def test_default_student_fits_the_limits() -> None:
    model = Student()
    n = count_parameters(model)
    assert n <= MAX_PARAMETERS and n * 4 <= 10_000_000  # fp32 weights fit a 10 MB preset
    # Capacity kept (~1 M parameters) at the CPU budget that makes a preset >= 50x faster
    # than the generator path (docs/distillation.md): ~0.09 GMAC per 128² image.
    assert n > 0.8e6
    assert 0.05e9 < conv_macs(model, 128) < 0.15e9


def test_old_layout_states_are_refused_clearly() -> None:
    old = {"widths": [16, 32, 64, 128, 160], "embed_dim": 64, "strength_scale": 3.0}  # no "layout": layout 1
    config = StudentConfig.from_json(old)
    assert config != StudentConfig() and StudentConfig.from_json(StudentConfig().to_json()) == StudentConfig()
    with pytest.raises(ValueError, match="layout 1 is no longer built"):
        Student(config)


def test_the_full_resolution_head_costs_half_again_and_is_recorded() -> None:
    full = Student(StudentConfig(head="full"))
    assert 0.12e9 < conv_macs(full, 128) < 0.14e9  # the transposed head's student: 0.087
    assert StudentConfig.from_json(full.config.to_json()) == full.config
    # States and manifests written before the choice existed had the transposed head.
    before = {k: v for k, v in StudentConfig().to_json().items() if k != "head"}
    assert StudentConfig.from_json(before) == StudentConfig(head="transposed")
    with pytest.raises(ValueError, match="student head 'wide': expected one of transposed, full"):
        Student(StudentConfig(head="wide"))


@pytest.mark.parametrize("head", FLATTENING_HEADS)
def test_the_flattening_head_takes_the_inputs_texture_away_by_strength(head: str) -> None:
    """With its flattening full and no residual, the head turns a fine checkerboard (the
    generator's texture, which a residual from half resolution cannot cancel) into its flat
    mean inside the image from FLATTEN_FULL_AT of the strength range on, half of it at half
    that strength, of either sign; a fresh head starts near the identity."""
    model = Student(replace(TINY, head=head))
    transposed = model.head if head == "flatten" else model.head.transposed
    checks = (torch.arange(32)[:, None] + torch.arange(32)[None, :]) % 2
    x = (0.3 * checks - 0.2).float().expand(2, 3, 32, 32)
    full_at = FLATTEN_FULL_AT * TINY.strength_scale
    with torch.no_grad():
        fresh = model(x, torch.full((2,), full_at))
        transposed.bias.copy_(torch.tensor([30.0, 0.0, 0.0, 0.0]))  # the weights stay zero
        full = {s: model(x, torch.full((2,), s)) for s in (full_at, -TINY.strength_scale)}
        half = model(x, torch.full((2,), -full_at / 2))
    assert 0 < (fresh - x).abs().max() < 0.3 * torch.sigmoid(torch.tensor(FLATTEN_START_LOGIT)) + 1e-6
    inside = (slice(None), slice(None), slice(4, -4), slice(4, -4))
    for out in full.values():
        assert torch.allclose(out[inside], torch.full_like(out[inside], -0.05), atol=0.01)
    assert torch.allclose(half, (x + full[full_at]) / 2, atol=1e-6)


def test_only_the_unsmoothed_transposed_heads_can_draw_a_2_pixel_dot_grid() -> None:
    """The adversarial term's and the beard student's 2-pixel dot grid (docs/distillation.md):
    from features that are the same everywhere, the plain transposed heads' output still
    repeats a 2x2 pattern; the full-resolution head's and the smoothed heads' (flattening and
    painting) are flat away from the border."""
    flat = torch.ones(1, 8, 16, 16)
    for head in HEADS:
        model = random_student(replace(TINY, head=head))
        with torch.no_grad():
            residual = model.head(flat)[0, :, 2:-2, 2:-2]
        spread = (residual[:, 0::2, 0::2] - residual[:, 1::2, 1::2]).abs().max().item()
        assert (spread < 1e-5) if head in ("full", "smooth-flatten", "paint") else (spread > 0.01), (head, spread)


def test_the_painting_head_lays_its_colour_over_the_input_by_its_hardened_coverage() -> None:
    """out = x + m (c - x): m is sigmoid(PAINT_HARDNESS a), faded in up to PAINT_FULL_AT of
    the strength range; c is the input's low-pass plus the colour offset, so on a flat
    input the paint is the input plus the offset."""
    model = Student(replace(TINY, head="paint"))
    x = torch.full((1, 3, 32, 32), -0.2)
    full_at = PAINT_FULL_AT * TINY.strength_scale
    offset = torch.tensor([0.5, -0.3, 0.1])

    def painted(logit: float, strength: float) -> torch.Tensor:
        with torch.no_grad():
            model.head.transposed.bias.copy_(torch.cat([torch.tensor([logit]), offset]))  # the weights stay zero
            return model(x, torch.tensor([strength]))[0, :, 16, 16]

    colour = -0.2 + offset
    assert torch.allclose(painted(2.0, full_at), colour, atol=1e-5)  # sigmoid(16)
    assert torch.allclose(painted(2.0, -TINY.strength_scale), colour, atol=1e-5)
    assert torch.allclose(painted(-2.0, full_at), x[0, :, 0, 0], atol=1e-5)
    hardened = torch.sigmoid(torch.tensor(PAINT_HARDNESS * 0.25))  # 0.88, where sigmoid(0.25) is 0.56
    assert torch.allclose(painted(0.25, full_at), -0.2 + hardened * offset, atol=1e-5)
    assert torch.allclose(painted(2.0, full_at / 2), -0.2 + offset / 2, atol=1e-5)
    assert torch.equal(painted(2.0, 0.0), x[0, :, 16, 16])


def test_the_teachers_coverage_ramps_with_the_size_of_its_change() -> None:
    x = torch.zeros(1, 3, 1, 4)
    distance = torch.tensor([COVERAGE_LOW - 0.01, (COVERAGE_LOW + COVERAGE_HIGH) / 2, COVERAGE_HIGH, 0.9])
    y = x.clone()
    y[0, 0, 0] = 2 * distance  # an RGB distance in 0-1 units of images in [-1, 1]
    assert torch.allclose(teacher_coverage(x, y)[0, 0, 0], torch.tensor([0.0, 0.5, 1.0, 1.0]))


def test_the_painting_terms_teach_the_colour_only_where_the_teacher_paints() -> None:
    """The colour term weighs each pixel by the teacher's coverage: changing the student's
    colour where the teacher left the input alone does not change it; the coverage term
    is the cross-entropy of the coverage logit against that coverage."""
    model = random_student(replace(TINY, head="paint"))
    x = images(2)
    y = x.clone()
    y[:, :, 8:16, 8:16] = torch.tensor([0.9, -0.9, 0.9])[:, None, None]
    s = torch.ones(2)
    out, terms = paint_terms(model, x, y, s)
    assert torch.allclose(out, model(x, s), atol=1e-6)
    with torch.no_grad():
        head_out = model.residual(x, s / TINY.strength_scale)
    target = teacher_coverage(x, y)
    assert target[:, :, 8:16, 8:16].min() > 0 and target.sum() == target[:, :, 8:16, 8:16].sum()
    expected = torch.nn.functional.binary_cross_entropy_with_logits(head_out[:, :1], target)
    assert torch.allclose(terms["coverage"], expected)
    elsewhere = torch.ones_like(head_out)
    elsewhere[:, :, 8:16, 8:16] = 0
    model.residual = lambda image, s_n: head_out + 0.5 * elsewhere  # another colour outside the square only
    assert torch.allclose(paint_terms(model, x, y, s)[1]["colour"], terms["colour"])


def test_a_painting_student_learns_a_solid_fill_where_its_teacher_paints_one() -> None:
    """Trained on one input whose teacher paints a square red, a tiny painting student
    paints it red over the square and leaves the rest as it was."""
    torch.manual_seed(0)
    model = Student(replace(TINY, head="paint"))
    x = images(1) * 0.2
    y = x.clone()
    y[:, :, 8:24, 8:24] = torch.tensor([0.8, -0.6, -0.6])[:, None, None]
    s = torch.full((1,), TINY.strength_scale)
    optimizer = torch.optim.Adam(model.parameters(), 1e-2)
    for _ in range(150):
        _, terms = paint_terms(model, x, y, s)
        optimizer.zero_grad()
        (terms["coverage"] + terms["colour"]).backward()
        optimizer.step()
    with torch.no_grad():
        out = model(x, s)
    assert (out - y)[:, :, 10:22, 10:22].abs().mean() < 0.05
    assert (out - x)[:, :, :4].abs().mean() < 0.02 and (out - x)[:, :, 28:].abs().mean() < 0.02


def test_the_smoothed_heads_blur_is_the_3x3_binomial_with_the_edge_repeated() -> None:
    """BinomialBlur's two 2x2 averages are the [1, 2, 1] / 4 blur each way of the
    edge-padded image, at the border too, and have nothing to train."""
    image = images(2, 16)
    taps = torch.tensor([1.0, 2.0, 1.0]) / 4
    kernel = (taps[:, None] * taps[None, :]).expand(3, 1, 3, 3)
    expected = torch.nn.functional.conv2d(torch.nn.functional.pad(image, (1, 1, 1, 1), mode="replicate"), kernel,
                                          groups=3)
    blur = BinomialBlur()
    assert torch.allclose(blur(image), expected, atol=1e-6)
    assert not list(blur.parameters()) and not list(blur.buffers())


@pytest.mark.parametrize("config", EVERY_HEAD, ids=HEADS)
def test_strength_zero_is_the_identity_in_torch(config: StudentConfig) -> None:
    model = random_student(config)
    x = images()
    with torch.no_grad():
        out = model(x, torch.zeros(3))
        moved = model(x, torch.ones(3))
    assert torch.equal(out, x)
    assert (moved - x).abs().max() > 1e-3  # the random residual does edit at strength 1


# ---------------------------------------------------------------------------- export


@pytest.mark.parametrize("config", EVERY_HEAD, ids=HEADS)
def test_onnx_export_matches_torch_and_keeps_identity(config: StudentConfig) -> None:
    import onnx

    model = random_student(config)
    data = export_onnx(model, 32)
    proto = onnx.load_from_string(data)
    assert [i.name for i in proto.graph.input] == ["image", "strength"]
    assert [o.name for o in proto.graph.output] == ["edited"]
    assert next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # dynamic batch
    diff = check_parity(model, data, images(3), [-2.0, 0.0, 0.7, 2.0])
    assert diff <= PARITY_TOL
    x = images(5, seed=1).numpy()
    out = run_onnx(session(data), x, np.zeros(5, np.float32), batch_size=2)
    assert np.abs(out - x).max() <= IDENTITY_TOL


def test_parity_check_fails_loudly_on_a_wrong_graph() -> None:
    other = export_onnx(random_student(seed=1), 32)
    with pytest.raises(DistillError, match="does not match torch"):
        check_parity(random_student(seed=0), other, images(2), [1.0])


@pytest.mark.parametrize("config", EVERY_HEAD, ids=HEADS)
def test_variants_keep_the_identity_and_stay_close(config: StudentConfig) -> None:
    model = random_student(config)
    fp32 = export_onnx(model, 32)
    x = images(4, seed=2).numpy()
    s = np.array([-2, -1, 1, 2], np.float32)
    ref = run_onnx(session(fp32), x, s)
    for data in (fp16_variant(model, 32), int8_variant(fp32, x, s)):
        sess = session(data)
        assert np.abs(run_onnx(sess, x, np.zeros(4, np.float32)) - x).max() <= IDENTITY_TOL
        assert np.abs(run_onnx(sess, x, s) - ref).mean() < 0.05


# -------------------------------------------------------------------------- training


def _train(world: dict, state_dir: Path, steps: int, resume: bool = False, stop_at: int | None = None,
           time_budget: float | None = None, **fingerprint: object) -> tuple:
    sampler = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3)
    torch.manual_seed(0)  # the same initial weights for every run
    student = Student(TINY)
    lines: list[str] = []
    settings = TrainSettings(steps=steps, batch_size=2, save_every=2, log_every=1, stop_at=stop_at,
                             time_budget=time_budget)
    result = train_student(sampler, student, settings, state_dir, {"run": "a", **fingerprint}, None, resume,
                           lines.append)
    return student, result, lines


def test_pairs_are_reproducible_and_share_noise(world: dict) -> None:
    sampler = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3)
    x1, y1, s1 = sampler.batch(4, 7)
    x2, y2, s2 = sampler.batch(4, 7)
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and torch.equal(s1, s2)
    assert ((s1 >= -2) & (s1 <= 2)).all()
    # A zero-strength pair is identical: same latent, same (const) noise.
    zero = PairSampler(world["g"], world["direction"], (0.0, 1e-9), seed=3)
    x, y, _ = zero.batch(2, 0)
    assert (x - y).abs().max() < 1e-4
    held_out, _, _ = sampler.held_out(4, 4)
    assert not torch.equal(held_out, x1)


def test_jitter_moves_both_images_of_a_pair_by_one_transform(world: dict) -> None:
    jitter = Jitter(shift=3, scale=0.1, rotate=3)
    plain = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3)
    moved = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3, jitter=jitter)
    x, y, s = plain.batch(4, 7)
    xj, yj, sj = moved.batch(4, 7)
    assert torch.equal(s, sj) and (xj - x).abs().mean() > 0.01
    # The transforms come after the batch's own draws from its seeded stream.
    gen = plain._rng(0, 7)
    torch.randn(4, world["g"].style_dim, generator=gen)
    torch.rand(4, generator=gen)
    ex, ey = jitter.warp(jitter.draw(4, gen, x.shape[-1]), x, y)
    assert torch.allclose(xj, ex, atol=1e-6) and torch.allclose(yj, ey, atol=1e-6)
    assert not Jitter().active and PairSampler(world["g"], world["direction"], (-2.0, 2.0), jitter=Jitter()).jitter is None


def test_jitter_keeps_a_thin_line_sharp_and_the_images_in_range() -> None:
    """A one-pixel line (a glasses ring's width) moved by random sub-pixel amounts keeps
    more of its contrast than linear interpolation keeps (students learn their teacher's
    lines as the jitter leaves them: session 43), and a hard edge between the range's
    ends does not overshoot it."""
    image = torch.full((64, 1, 32, 32), 0.5)
    image[:, :, :, 16] = -1.0
    jitter = Jitter(shift=3)
    theta = jitter.draw(64, torch.Generator().manual_seed(0), 32)
    (moved,) = jitter.warp(theta, image)
    grid = F.affine_grid(theta, list(image.shape), align_corners=False)
    linear = F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)
    contrast = lambda batch: float((0.5 - batch.amin(dim=(1, 2, 3))).mean() / 1.5)
    assert contrast(moved) > 0.85 and contrast(linear) < 0.8, (contrast(moved), contrast(linear))
    edge = torch.where(torch.arange(32) < 16, -1.0, 1.0).expand(4, 3, 32, 32)
    (warped,) = jitter.warp(jitter.draw(4, torch.Generator().manual_seed(1), 32), edge)
    assert warped.min() >= -1.0 and warped.max() <= 1.0
    assert Jitter(shift=3).to_json() == {"shift": 3, "scale": 0.0, "rotate": 0.0, "interpolation": "bicubic"}


def test_grain_jitter_takes_a_share_of_the_inputs_grain_off_both_images(world: dict) -> None:
    """Each pair loses its own drawn share of the input's grain (the input less its
    binomial blur), from input and target alike: the teacher's change is kept."""
    grain = GrainJitter(0.8)
    plain = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3)
    cleaned = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3, grain=grain)
    x, y, s = plain.batch(4, 7)
    xg, yg, sg = cleaned.batch(4, 7)
    assert torch.equal(s, sg) and torch.allclose(yg - xg, y - x, atol=1e-6)
    # The shares come after the batch's own draws from its seeded stream.
    gen = plain._rng(0, 7)
    torch.randn(4, world["g"].style_dim, generator=gen)
    torch.rand(4, generator=gen)
    shares = torch.rand(4, generator=gen) * 0.8
    grain_of_x = x - BinomialBlur()(x)
    assert torch.allclose(xg, x - shares.reshape(-1, 1, 1, 1) * grain_of_x, atol=1e-6)
    taken = (x - xg).flatten(1).norm(dim=1) / grain_of_x.flatten(1).norm(dim=1)
    assert torch.allclose(taken, shares, atol=1e-4) and len(set(taken.round(decimals=3).tolist())) == 4
    assert not GrainJitter().active
    assert PairSampler(world["g"], world["direction"], (-2.0, 2.0), grain=GrainJitter()).grain is None
    with pytest.raises(ValueError, match=r"share in \[0, 1\]"):
        GrainJitter(1.5)


def ring_round_dot_pairs(n: int, seed: int, spread: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A bright dot within ``spread`` pixels of the centre; the edit darkens a ring round
    it (a frame round an eye, in miniature), by an amount growing with the strength."""
    g = torch.Generator().manual_seed(seed)
    x = F.interpolate(torch.rand(n, 3, 4, 4, generator=g) * 0.6 - 0.3, size=32, mode="bilinear")
    centre = 16 + (torch.rand(n, 2, generator=g) * 2 - 1) * spread
    s = torch.rand(n, generator=g) * 2
    rows, cols = torch.meshgrid(torch.arange(32.0) + 0.5, torch.arange(32.0) + 0.5, indexing="ij")
    r = torch.sqrt((cols - centre[:, 0, None, None]) ** 2 + (rows - centre[:, 1, None, None]) ** 2)[:, None]
    dot, ring = (r < 3).float(), ((r > 4.5) & (r < 6)).float() * s[:, None, None, None] / 2
    x = x * (1 - dot) + 0.9 * dot
    return x, x * (1 - ring) - 0.9 * ring, s


def _shifted_ring_error(jitter: Jitter, seed: int) -> float:
    """Held-out error on dots up to 7 px off centre, relative to the identity's, of a
    student trained 300 steps on dots within 1 px of it."""
    torch.manual_seed(seed)
    student = Student(StudentConfig(widths=(8, 16, 32)))
    optimizer = torch.optim.Adam(student.parameters(), lr=2e-3, betas=(0.9, 0.99))
    x, y, s = ring_round_dot_pairs(512, 1, 1.0)
    gen = torch.Generator().manual_seed(5)
    for _ in range(300):
        pick = torch.randint(len(x), (16,), generator=gen)
        xb, yb = x[pick], y[pick]
        if jitter.active:
            xb, yb = jitter.warp(jitter.draw(16, gen, 32), xb, yb)
        loss = pixel_distance(student(xb, s[pick]), yb, "mse")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    xh, yh, sh = ring_round_dot_pairs(128, 2, 7.0)
    with torch.no_grad():
        return float((student(xh, sh) - yh).pow(2).mean() / (xh - yh).pow(2).mean())


def test_a_jittered_student_holds_its_edit_where_the_face_moved() -> None:
    """Why --jitter-*: trained on a fixed frame, a student learns where the edit goes;
    apply's face crops move the face (session 20's glasses from latent pairs: 87% of faces
    gained glasses run alone, 78% applied). Measured on seeds 0-3: 0.39-0.57 plain,
    0.25-0.27 jittered."""
    plain, jittered = _shifted_ring_error(Jitter(), 0), _shifted_ring_error(Jitter(shift=7), 0)
    assert jittered < 0.8 * plain, f"moved dots: jittered {jittered:.3f}, plain {plain:.3f} of the identity"


def test_pool_reuses_teacher_pairs_and_resumes_exactly(world: dict) -> None:
    sampler = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3)
    straight = PairPool(sampler, size=6, chunk=2)
    draws = [straight.batch(4, step) for step in range(5)]
    # Pairs in the pool are teacher pairs rounded to 8 bits: each draw is one of them.
    x, y, s = draws[0]
    fresh = [sampler.batch(2, index) for index in range(1, 4)]  # what the pool holds at step 0
    pooled_s = torch.cat([f[2] for f in fresh])
    for i in range(4):
        (j,) = torch.nonzero(pooled_s == s[i])[:, 0].tolist()
        pair = fresh[j // 2]
        assert torch.equal(x[i], from_bytes(to_bytes(pair[0][j % 2])))
        assert torch.equal(y[i], from_bytes(to_bytes(pair[1][j % 2])))
    # A pool built fresh at step 3 (a resumed run) draws what the straight run drew.
    resumed = PairPool(sampler, size=6, chunk=2)
    for step in (3, 4):
        for a, b in zip(draws[step], resumed.batch(4, step)):
            assert torch.equal(a, b)
    with pytest.raises(ValueError, match="cannot hold"):
        PairPool(sampler, size=1, chunk=2)


def local_edit_pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Smooth random images whose edit recolours one fixed patch (a beard's place) by an
    amount that grows with the strength and a colour read from the whole image, and
    leaves every other pixel exactly as it was: a local edit in miniature."""
    g = torch.Generator().manual_seed(seed)
    x = F.interpolate(torch.rand(n, 3, 8, 8, generator=g) * 1.6 - 0.8, size=32, mode="bilinear")
    s = torch.rand(n, generator=g) * 6 - 3
    region = torch.zeros(1, 1, 32, 32)
    region[..., 20:28, 10:22] = 1
    colour = -x.mean(dim=(2, 3), keepdim=True)
    y = x + region * (s[:, None, None, None] / 3).clamp(min=0) * (colour - x)
    return x, y.clamp(-1, 1), s


@pytest.mark.parametrize("kind, bound", [("mse", lambda ratio: ratio < 0.75), ("l1", lambda ratio: ratio > 0.99)])
def test_the_squared_pixel_loss_learns_a_local_edit_that_l1_holds_at_the_identity(kind: str, bound) -> None:
    """Why the default pixel loss is the squared error: from the identity, L1's equal pull
    on every unchanged pixel keeps the student there (the beard runs in
    docs/distillation.md), while the squared error's pull fades with the error."""
    torch.manual_seed(0)
    student = Student(StudentConfig(widths=(8, 16, 32)))
    optimizer = torch.optim.Adam(student.parameters(), lr=2e-3, betas=(0.9, 0.99))
    x, y, s = local_edit_pairs(256, seed=1)
    for _ in range(200):
        pick = torch.randint(len(x), (16,))
        loss = pixel_distance(student(x[pick], s[pick]), y[pick], kind)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    xh, yh, sh = local_edit_pairs(64, seed=2)
    with torch.no_grad():
        ratio = float((student(xh, sh) - yh).pow(2).mean() / (xh - yh).pow(2).mean())
    assert bound(ratio), f"{kind}: held-out error {ratio:.3f} of the identity's"


def faint_and_strong_edit_pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`local_edit_pairs` where every other image's edit has a sixth of the contrast
    (glasses on dark skin beside glasses on light skin); also which pairs are faint."""
    x, y, s = local_edit_pairs(n, seed)
    faint = torch.arange(n) % 2 == 1
    y = torch.where(faint[:, None, None, None], x + (y - x) / 6, y)
    return x, y, s, faint & (s > 0.5)


def _faint_edit_error(kind: str) -> float:
    """Held-out error on the faint edits, relative to the identity's, after 200 steps."""
    torch.manual_seed(0)
    student = Student(StudentConfig(widths=(8, 16, 32)))
    optimizer = torch.optim.Adam(student.parameters(), lr=2e-3, betas=(0.9, 0.99))
    x, y, s, _ = faint_and_strong_edit_pairs(256, seed=1)
    for _ in range(200):
        pick = torch.randint(len(x), (16,))
        loss = pixel_distance(student(x[pick], s[pick]), y[pick], kind, x[pick])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    xh, yh, sh, faint = faint_and_strong_edit_pairs(128, seed=2)
    with torch.no_grad():
        out = student(xh[faint], sh[faint])
    return float((out - yh[faint]).pow(2).mean() / (xh[faint] - yh[faint]).pow(2).mean())


def test_the_relative_pixel_loss_learns_a_faint_edit_the_squared_error_neglects() -> None:
    """Why ``--pixel-loss relative`` exists: under the squared error a faint edit counts
    by its contrast squared (here 1/36 of the strong one's), so the student learns it
    last; relative to its size it counts like the strong one."""
    relative, squared = _faint_edit_error("relative"), _faint_edit_error("mse")
    assert relative < 0.8 * squared, f"faint edits: relative {relative:.3f}, squared {squared:.3f} of the identity"


def test_the_relative_pixel_loss_weighs_each_pair_by_its_edit() -> None:
    x = torch.zeros(2, 3, 4, 4)
    y = torch.stack([torch.full((3, 4, 4), 0.5), torch.full((3, 4, 4), 0.15)])  # a strong and a faint edit
    strong_missed, faint_missed = y.clone(), y.clone()
    strong_missed[0], faint_missed[1] = y[0] / 2, y[1] / 2  # one pair gets half of its edit
    # Squared, the faint pair's miss counts (0.15 / 0.5)^2 = 0.09 times the strong one's;
    # relative to their edits, alike (up to the floor).
    assert pixel_distance(faint_missed, y, "mse") == pytest.approx(0.09 * pixel_distance(strong_missed, y, "mse"))
    ratio = pixel_distance(faint_missed, y, "relative", x) / pixel_distance(strong_missed, y, "relative", x)
    assert 0.85 < float(ratio) <= 1.0
    assert pixel_distance(x, x, "relative", x) == 0
    with pytest.raises(DistillError, match="needs the pairs' inputs"):
        pixel_distance(faint_missed, y, "relative")


def two_drawings(n: int, seed: int) -> tuple[torch.Tensor, ...]:
    """Smooth random images on which the teacher fills one patch with a flat colour, on
    three of four images in one place and on the rest a patch lower, which the image does
    not tell (a mouth the teacher redraws where it will); also the two places."""
    g = torch.Generator().manual_seed(seed)
    x = F.interpolate(torch.rand(n, 3, 8, 8, generator=g) * 1.2 - 0.6, size=32, mode="bilinear")
    here, lower = torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32)
    here[..., 18:24, 10:22] = 1
    lower[..., 24:30, 10:22] = 1
    placed = torch.where((torch.rand(n, generator=g) < 0.75)[:, None, None, None], here, lower)
    return x, x + placed * (0.9 - x), torch.ones(n), here, lower


class TwoDrawingPairs:
    """A pair sampler for :func:`train_student` drawing fresh :func:`two_drawings` pairs."""

    device = torch.device("cpu")

    def batch(self, size: int, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return two_drawings(size, 1000 + step)[:3]


def _drawn_in_each_place(l1_start: float | None, tmp_path: Path) -> tuple[float, float]:
    """Share of the fill a student draws in each place after 400 steps."""
    torch.manual_seed(0)
    student = Student(StudentConfig(widths=(8, 16, 32), strength_scale=1.0))
    settings = TrainSettings(steps=400, batch_size=16, feature_weight=0.0, l1_start=l1_start)
    train_student(TwoDrawingPairs(), student, settings, tmp_path, {}, echo=lambda _: None)
    x, _, s, here, lower = two_drawings(64, seed=7)
    with torch.no_grad():
        drawn = (student(x, s) - x) / (0.9 - x)
    return tuple(float((drawn * place).sum() / (place.sum() * drawn.shape[0] * 3)) for place in (here, lower))


def test_the_absolute_error_late_draws_one_of_two_drawings_where_the_squared_error_draws_both(tmp_path: Path) -> None:
    """Why ``--l1-start`` exists: the squared error learns the mean of targets the input
    does not decide between, a three-quarter fill in one place over a quarter fill in the
    other (the beard's stacked mouths); switched to the absolute error once the edit is
    there, the student learns their median, the likelier drawing alone."""
    squared = _drawn_in_each_place(None, tmp_path / "squared")
    switched = _drawn_in_each_place(0.5, tmp_path / "switched")
    assert squared[0] == pytest.approx(0.75, abs=0.1) and squared[1] == pytest.approx(0.25, abs=0.1)
    assert switched[0] > 0.9 and switched[1] < 0.05, f"after the switch: {switched}"


def test_the_absolute_pixel_term_still_counts_every_edit_alike_when_relative() -> None:
    x = torch.zeros(2, 3, 4, 4)
    y = torch.stack([torch.full((3, 4, 4), 0.5), torch.full((3, 4, 4), 0.15)])  # a strong and a faint edit
    strong_missed, faint_missed = y.clone(), y.clone()
    strong_missed[0], faint_missed[1] = y[0] / 2, y[1] / 2  # one pair gets half of its edit
    assert pixel_distance(strong_missed, y, "mse", absolute=True) == pixel_distance(strong_missed, y, "l1")
    # Absolute, the faint pair's miss counts 0.3 times the strong one's; relative, alike
    # (up to the floor), as the squared relative loss counts them.
    assert pixel_distance(faint_missed, y, "l1") == pytest.approx(0.3 * pixel_distance(strong_missed, y, "l1"))
    ratio = (pixel_distance(faint_missed, y, "relative", x, absolute=True)
             / pixel_distance(strong_missed, y, "relative", x, absolute=True))
    assert 0.85 < float(ratio) <= 1.0
    assert absolute_pixels_at(TrainSettings(steps=10, l1_start=0.6), 0.59) is False
    assert absolute_pixels_at(TrainSettings(steps=10, l1_start=0.6), 0.6) is True
    assert absolute_pixels_at(TrainSettings(steps=10), 1.0) is False


def test_an_unknown_pixel_loss_is_refused() -> None:
    with pytest.raises(DistillError, match="unknown pixel loss 'l3'"):
        pixel_distance(torch.zeros(1), torch.zeros(1), "l3")


def test_resume_continues_from_the_saved_step(world: dict, tmp_path: Path) -> None:
    straight, done, _ = _train(world, tmp_path / "a", steps=5)
    assert done.done and done.step == 5
    _, first, _ = _train(world, tmp_path / "b", steps=5, stop_at=3)
    assert not first.done and load_state(tmp_path / "b")["step"] == 3
    resumed, second, lines = _train(world, tmp_path / "b", steps=5, resume=True)
    assert any("resumed" in line and "step 3" in line for line in lines)
    assert second.step == 5
    # Pairs depend only on (seed, step) and Adam's state is restored: the same weights.
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)


def test_a_resumed_run_counts_the_time_already_trained_against_its_budget(world: dict, tmp_path: Path) -> None:
    _, first, _ = _train(world, tmp_path, steps=50, stop_at=3)
    trained = load_state(tmp_path)["elapsed"]
    assert not first.done and trained > 0
    # A budget the first run already spent: the resumed run anneals from where that
    # run stopped, so it finishes at once instead of training a fresh budget.
    _, second, lines = _train(world, tmp_path, steps=50, resume=True, time_budget=trained / 2)
    assert second.done and second.step == 3
    assert any("time budget spent: finishing at step 3/50" in line for line in lines)


def test_existing_state_needs_resume_and_the_same_settings(world: dict, tmp_path: Path) -> None:
    _train(world, tmp_path, steps=2)
    with pytest.raises(DistillError, match="--resume"):
        _train(world, tmp_path, steps=3)
    with pytest.raises(DistillError, match="cannot resume.*seed"):
        _train(world, tmp_path, steps=3, resume=True, seed=9)


def test_feature_loss_uses_the_classifier(world: dict, tmp_path: Path) -> None:
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.distill.author import resolve_features
    from latentroom.plugins.inverters.features import load_feature_net

    toyfaces = resolve_generator("toyfaces")
    assert resolve_features("auto", toyfaces) == "toyfaces-classifier"  # the generator's own choice
    assert resolve_features("auto", world["g"]) == "none"  # a generator that names none
    assert resolve_features("none", toyfaces) == "none"
    sampler = PairSampler(world["g"], world["direction"], (-2.0, 2.0))
    lines: list[str] = []
    train_student(sampler, Student(TINY), TrainSettings(steps=1, batch_size=2, log_every=1), tmp_path, {},
                  load_feature_net("toyfaces-classifier", "cpu", toyfaces), echo=lines.append)
    assert "feature" in lines[-1]


# ----------------------------------------------------------------------- the command


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def author_args(world: dict, out: Path) -> list[str]:
    return ["author", "bright", "--direction", world["dfile"], "--generator", f"stylegan2:{world['ckpt']}",
            "--strength-range", "-2,2", "--steps", "6", "--batch-size", "2", "--seed", "1",
            "--widths", "8,16,16", "--eval-images", "6", "--held-out-pairs", "6", "--scorer", SCORER,
            "--inverter", "projector", "-O", "steps=2", "-O", "features=none", "--log-every", "3",
            "--author", "A. Tester", "--license", "CC-BY-4.0", "--title", "Brighter", "-o", out]


def with_direction(args: list, path: Path) -> list[str]:
    args = [str(a) for a in args]
    args[args.index("--direction") + 1] = str(path)
    return args


@pytest.fixture(scope="module")
def bundle(world: dict) -> dict:
    """One author run in two calls: paused at once by --time-limit 0, then --resume."""
    plugins.reset()
    torch.set_num_threads(1)
    out = world["root"] / "bright-preset"
    first = invoke(*author_args(world, out), "--time-limit", "0")
    assert "paused" in first and (out / ".author-state" / STATE_FILE).is_file()
    assert not (out / "preset.json").exists()
    second = invoke(*author_args(world, out), "--resume")
    plugins.reset()
    return {"dir": out, "output": second, "manifest": json.loads((out / "preset.json").read_text())}


def test_author_trains_the_head_it_is_given_and_resumes_only_with_it(world: dict, tmp_path: Path) -> None:
    out = tmp_path / "full"
    invoke(*author_args(world, out), "--head", "full", "--time-limit", "0")
    result = CliRunner().invoke(cli, [*map(str, author_args(world, out)), "--resume"])
    assert result.exit_code == 1 and "cannot resume" in result.output and "'head': 'full'" in result.output
    invoke(*author_args(world, out), "--head", "full", "--resume")
    student = json.loads((out / "preset.json").read_text())["x-distill"]["student"]
    assert student["head"] == "full"
    # The command lists its choices without importing torch; they must be the student's.
    head_option = next(p for p in author_command.params if p.name == "head")
    assert tuple(head_option.type.choices) == HEADS


def test_author_trains_a_painting_student_on_its_own_terms_and_refuses_the_pixel_options(world: dict,
                                                                                          tmp_path: Path) -> None:
    for extra in (("--pixel-loss", "relative"), ("--l1-start", "0.5")):
        refused = CliRunner().invoke(cli, [*map(str, author_args(world, tmp_path / "p")), "--head", "paint", *extra])
        assert refused.exit_code == 1 and "--head paint trains its coverage and colour" in refused.output
        assert not (tmp_path / "p").exists()
    out = tmp_path / "paint"
    log = invoke(*author_args(world, out), "--head", "paint")
    assert "painting head: coverage and colour terms" in log and "pixel loss" not in log
    steps = [line for line in log.splitlines() if line.startswith("step ")]
    assert steps and all(" coverage " in line and " colour " in line and " mse " not in line for line in steps)
    recorded = json.loads((out / "preset.json").read_text())["x-distill"]
    assert recorded["student"]["head"] == "paint" and recorded["training"]["pixel_loss"] is None


def test_author_switches_to_the_absolute_error_it_is_told_and_resumes_only_with_it(world: dict, tmp_path: Path) -> None:
    refused = CliRunner().invoke(cli, [*map(str, author_args(world, tmp_path / "p")), "--pixel-loss", "l1",
                                       "--l1-start", "0.5"])
    assert refused.exit_code == 1 and "already" in refused.output and not (tmp_path / "p").exists()
    out = tmp_path / "late-l1"
    first = invoke(*author_args(world, out), "--l1-start", "0.5", "--time-limit", "0")
    assert "pixel loss mse, absolute from 50% of training" in first
    result = CliRunner().invoke(cli, [*map(str, author_args(world, out)), "--resume"])
    assert result.exit_code == 1 and "cannot resume" in result.output and "l1_start: saved 0.5" in result.output
    second = invoke(*author_args(world, out), "--l1-start", "0.5", "--resume")
    logged = {line.split()[1]: line for line in second.splitlines() if line.startswith("step ")}
    assert " mse " in logged["3/6"] and "mse-absolute" not in logged["3/6"]  # steps 1-3 squared
    assert "mse-absolute" in logged["6/6"] and " mse " not in logged["6/6"]  # steps 4-6 absolute
    assert json.loads((out / "preset.json").read_text())["x-distill"]["training"]["l1_start"] == 0.5


def test_author_refuses_an_empty_license_before_training(world: dict, tmp_path: Path) -> None:
    args = [str(a) for a in author_args(world, tmp_path / "p")] + ["--license", " "]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "--license must not be empty" in result.output
    assert not (tmp_path / "p").exists()


def test_author_writes_a_valid_bundle(bundle: dict) -> None:
    out = bundle["dir"]
    assert "resumed" in bundle["output"] and "wrote preset bright" in bundle["output"]
    assert not (out / ".author-state").exists()  # dropped once the bundle is written
    m = bundle["manifest"]
    assert m["strength"] == {"input": "strength", "min": -2.0, "max": 2.0, "default": 1.0}
    assert m["model"]["inputs"] == ["image", "strength"] and m["model"]["outputs"] == ["edited"]
    assert m["io"]["resolution"] == 32
    assert (m["author"], m["license"], m["title"]) == ("A. Tester", "CC-BY-4.0", "Brighter")
    # The generator's and the inverter's plugins; the direction's source "test" is no plugin's.
    version = distribution("latentroom").version
    assert m["requires_plugins"] == [{"name": "inverters", "version": version}, {"name": "stylegan2", "version": version}]
    prov = m["provenance"]
    assert prov["attribute"] == "brightness" and prov["layers"] == [0, 1, 2] and prov["direction_source"] == "test"
    assert len(prov["generator_weights_sha256"]) == 64
    assert (out / "model.onnx").stat().st_size <= 10_000_000
    assert m == rebuilt_manifest(m)  # made by the engine's one manifest builder
    report = json.loads(invoke("preset", "validate", out, "--json"))
    assert report["ok"], report
    assert {c["check"] for c in report["checks"]} >= {"manifest", "checksum", "onnx checker", "inference", "preview"}


def test_author_records_metrics_and_show_prints_them(bundle: dict) -> None:
    metrics = bundle["manifest"]["metrics"]
    for key in ("psnr", "psnr_identity_baseline", "onnx_max_abs_diff", "strength0_max_abs_diff", "n_images",
                "target_change", "target_change_generator_path", "other_change_mean", "other_change_generator_path",
                "psnr_input_output", "psnr_generator_path", "cpu_img_per_s_b16", "fp16_speedup_b16",
                "int8_psnr_drop", "student_parameters", "train_steps"):
        assert key in metrics, key
    assert metrics["onnx_max_abs_diff"] <= PARITY_TOL and metrics["strength0_max_abs_diff"] <= IDENTITY_TOL
    # Where the teacher edits, a six-step student is still near the identity.
    assert abs(metrics["psnr_edited_pixels"] - metrics["psnr_edited_pixels_identity"]) < 3
    assert "psnr_edited_pixels_trained_faces" not in metrics  # sampled faces: no fixed training set
    assert metrics["n_images"] == 6 and metrics["train_steps"] == 6
    extra = bundle["manifest"]["x-distill"]
    assert extra["variants"]["variant"] in ("fp32", "fp16", "int8") and "rule" in extra["variants"]
    text = invoke("preset", "show", bundle["dir"])
    assert "quality:     " in text and "psnr" in text.split("quality:")[1].splitlines()[0]
    assert "target_change=" in text and "unrated" not in text


def test_author_bundle_applies(bundle: dict, tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    invoke("apply", bundle["dir"], tmp_path / "in.png", "-o", tmp_path / "out", "--strength", "1.5")
    with Image.open(tmp_path / "out" / "in.png") as img:
        assert img.size == (48, 40)
    invoke("apply", bundle["dir"], tmp_path / "in.png", "-o", tmp_path / "zero", "--strength", "0")
    with Image.open(tmp_path / "zero" / "in.png") as img:
        assert np.abs(np.asarray(img).astype(int) - pixels).max() <= 1  # strength 0: unchanged


def test_author_says_a_generator_without_a_face_template_makes_a_whole_frame_preset(bundle: dict) -> None:
    assert "alignment" not in bundle["manifest"]
    notice = next(line for line in bundle["output"].splitlines() if line.startswith("face template:"))
    assert "offers no face template" in notice and "whole frames" in notice and "--alignment FILE" in notice


def test_author_writes_the_alignment_it_is_given(world: dict, tmp_path: Path) -> None:
    from latentroom.plugins.toyfaces.alignment import alignment_section

    section = alignment_section(32, aligner="toyfaces")
    (tmp_path / "template.json").write_text(json.dumps(section))
    out = tmp_path / "aligned"
    output = invoke(*author_args(world, out), "--alignment", tmp_path / "template.json", "--variants", "none",
                    "--inverter", "none")
    assert f"face template: --alignment {tmp_path / 'template.json'} (aligner toyfaces)" in output
    manifest = json.loads((out / "preset.json").read_text())
    assert manifest["alignment"] == section
    # apply will need the aligner the template names: its plugin is required.
    assert "toyfaces" in {p["name"] for p in manifest["requires_plugins"]}
    assert json.loads(invoke("preset", "validate", out, "--json"))["ok"]
    # Another preset's manifest: its template is copied.
    copied = tmp_path / "copied"
    invoke(*author_args(world, copied), "--alignment", out / "preset.json", "--variants", "none", "--inverter", "none")
    assert json.loads((copied / "preset.json").read_text())["alignment"] == section


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"x": ' + "[" * 5000 + "]" * 5000 + "}", "nests arrays and objects deeper than 32 levels"),
    ('{"schema_version": 1, "name": "x"}', "has no alignment section to copy"),
    ("ALIGNMENT128", "expected a position inside the 32x32 frame"),  # a 128² template for a 32² model
    ('{"rule": "similarity"}', "landmarks: required key is missing"),
])
def test_author_refuses_a_bad_alignment_before_training(world: dict, tmp_path: Path, content: str,
                                                        message: str) -> None:
    from latentroom.plugins.toyfaces.alignment import alignment_section

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(alignment_section(128)) if content == "ALIGNMENT128" else content)
    out = tmp_path / "p"
    result = CliRunner().invoke(cli, [str(a) for a in author_args(world, out)] + ["--alignment", str(bad)])
    assert result.exit_code != 0 and f"--alignment {bad}" in result.output and message in result.output
    assert not out.exists()  # nothing trained
    missing = CliRunner().invoke(cli, [str(a) for a in author_args(world, out)] + ["--alignment", str(tmp_path / "no")])
    assert missing.exit_code != 0 and "cannot read" in missing.output and str(tmp_path / "no") in missing.output


def test_a_bad_region_file_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib
    import os

    import latentroom.plugins.distill.author as author
    from latentroom.plugins.distill.author import load_region
    from test_untrusted import finishes

    good = tmp_path / "good.png"
    Image.fromarray(np.full((32, 32), 255, np.uint8)).save(good)
    mask, digest = load_region(good, 32)
    assert mask.shape == (32, 32) and float(mask.min()) == 1.0
    assert digest == hashlib.sha256(good.read_bytes()).hexdigest()
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(small)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    for path, message in ((small, "is 16x16, the generator makes 32x32 images"), (junk, "not a readable image"),
                          (tmp_path / "missing.png", "cannot read"), (fifo, "not a regular file")):
        with pytest.raises(DistillError, match=message) as raised:
            finishes(lambda: load_region(path, 32), fifo=fifo)
        assert f"--region {path}" in str(raised.value)
    monkeypatch.setattr(author, "MAX_REGION_BYTES", 16)
    with pytest.raises(DistillError, match="larger than 16 bytes; not a mask image"):
        load_region(good, 32)


def test_toyfaces_generator_offers_its_face_template_per_attribute() -> None:
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.distill.author import resolve_alignment
    from latentroom.plugins.toyfaces.alignment import HAIR_MASK_RADII, MASK_RADII

    g = resolve_generator("toyfaces", "cpu")
    smile, origin = resolve_alignment(None, g, "smile", "toyfaces")
    hair, _ = resolve_alignment(None, g, "hair_length", "toyfaces")
    assert origin == "generator toyfaces's face template for smile (aligner toyfaces)"
    assert smile["aligner"] == "toyfaces" and smile["landmarks"] == hair["landmarks"]
    assert smile["mask"]["radii"] == [round(r * 128, 2) for r in MASK_RADII]
    assert hair["mask"]["radii"] == [round(r * 128, 2) for r in HAIR_MASK_RADII]  # long hair reaches the shoulders
    assert resolve_alignment("none", g, "smile", "toyfaces")[0] is None


def test_author_on_toyfaces_writes_the_generators_face_template(tmp_path: Path) -> None:
    """A real (tiny, CPU) author run on the shipped toyfaces generator: the bundle gets
    the template without any patching, and apply aligns faces with it."""
    from latentroom.plugins.toyfaces.alignment import face_template
    from latentroom.plugins.toyfaces.renderer import render, sample_params

    torch.set_num_threads(1)
    out = tmp_path / "glasses"
    output = invoke("author", "glasses", "--direction", "plugins/directions/shipped/glasses.json", "--steps", "2",
                    "--batch-size", "2", "--widths", "4,8", "--eval-images", "4", "--held-out-pairs", "4",
                    "--inverter", "none", "--variants", "none", "--device", "cpu", "-o", out)
    assert "face template: generator toyfaces's face template for glasses (aligner toyfaces)" in output
    assert "presence gate glasses as toyfaces-classifier reads the input" in output
    manifest = json.loads((out / "preset.json").read_text())
    assert manifest["x-distill"]["presence_gate"] == "toyfaces-classifier"
    # Measured at the default, half of it, and its opposite: taking glasses off.
    default = manifest["strength"]["default"]
    assert default > 0 and list(manifest["x-distill"]["quality"]["truth"]["figures"]["preset"]) == [
        f"{default:g}", f"{default / 2:g}", f"{-default:g}"]
    assert manifest["alignment"] == face_template("glasses", 128)
    Image.fromarray(render(sample_params(70_000, 1))[0]).save(tmp_path / "face.png")
    assert "faces:       each face aligned" in invoke("preset", "show", out)
    applied = invoke("apply", out, tmp_path / "face.png", "-o", tmp_path / "edited")
    assert "faces aligned by 'toyfaces'" in applied and "1 written" in applied and "0 without a face" in applied


def test_author_refuses_to_overwrite(bundle: dict, world: dict, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in author_args(world, bundle["dir"])])
    assert result.exit_code != 0 and "--force" in result.output
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, [str(a) for a in author_args(world, tmp_path)])
    assert result.exit_code != 0 and "not empty" in result.output and (tmp_path / "notes.txt").exists()


def test_author_bad_direction_file(world: dict, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(cli, with_direction(author_args(world, tmp_path / "o"), bad))
    assert result.exit_code != 0 and "bad.json" in result.output and "not valid JSON" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    # A valid direction for another generator shape.
    other = Direction.from_vector(np.ones(16), 4, Provenance("test", "brightness")).save(tmp_path / "other")
    result = CliRunner().invoke(cli, with_direction(author_args(world, tmp_path / "o2"), other))
    assert result.exit_code != 0 and "other.json" in result.output and "[4, 16]" in result.output
    assert not (tmp_path / "o2").exists()


@pytest.mark.parametrize("config", EVERY_HEAD, ids=HEADS)
def test_benchmark_counts_the_same_macs_from_onnx(config: StudentConfig) -> None:
    module = load_script("preset_vs_generator", "benchmarks")
    model = random_student(config)
    assert module.onnx_macs(export_onnx(model, 32)) == conv_macs(model, 32)


def test_the_benchmarks_demo_preset_has_the_head_it_is_asked_for(tmp_path: Path) -> None:
    module = load_script("preset_vs_generator", "benchmarks")
    preset_dir = module.build_demo(tmp_path, head="full")[0]
    assert module.onnx_macs((preset_dir / "model.onnx").read_bytes()) == conv_macs(Student(StudentConfig(head="full")), 128)


def test_preset_vs_generator_benchmark_runs_every_bundled_preset(tmp_path: Path) -> None:
    """--quick keeps benchmarks/preset_vs_generator.py (BENCHMARKS.md's >= 30x figure)
    running against the presets and inverters as they change."""
    from latentroom.engine.presets.library import SOURCE_BUNDLED, list_presets

    module = load_script("preset_vs_generator", "benchmarks")
    out = tmp_path / "bench.json"
    report = module.main(["--quick", "-O", "hybrid:steps=1", "--json", str(out)])
    bundled = sorted(e.name for e in list_presets(read_manifests=False).entries if e.source == SOURCE_BUNDLED)
    assert len(bundled) >= 5 and sorted(p["name"] for p in report["presets"]) == bundled
    # latentroom edit's default inverter and the fastest one, each its own generator path.
    assert report["generator_paths"] == ["generator-hybrid", "generator-encoder"]
    assert report["inverter_options"]["hybrid"] == ["steps=1"]
    (row,) = report["results"]
    assert row["batch"] == 2 and set(row["speedup"]) == set(bundled)
    for name, ratios in row["speedup"].items():
        assert ratios["generator-encoder"] == pytest.approx(row["img_s"][name] / row["img_s"]["generator-encoder"])
    assert json.loads(out.read_text())["results"] == json.loads(json.dumps(report["results"]))


# --------------------------------------------------------------------------- presence gate


class BrightnessAsYesNo(ImageStatsScorer):
    """The pixel-statistics scorer with brightness read as a probability (0-1): a
    yes/no attribute whose reading is known exactly for any image."""

    name = "brightness-as-yes-no"
    binary = frozenset({"brightness"})


def test_psnr_where_edited_measures_only_the_edited_pixels() -> None:
    x = np.zeros((2, 3, 8, 8), np.float32)
    y = x.copy()
    y[0, :, :2, :2] = 0.5  # 4 edited pixels of 128
    out = y.copy()
    out[:, :, 4:, 4:] = 0.3  # an error outside the edit does not count
    assert psnr_where_edited(x, y, out) > 100  # exact inside the edit
    out[0, :, :2, :2] = 0.0  # the identity inside the edit: error 0.5 on every edited value
    assert psnr_where_edited(x, y, out) == pytest.approx(10 * np.log10(4.0 / 0.25))
    assert np.isnan(psnr_where_edited(x, x, out))


def test_the_presence_gate_weighs_each_pair_by_what_the_input_lacks(world: dict) -> None:
    scorer = BrightnessAsYesNo()
    plain = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3)
    gated = PairSampler(world["g"], world["direction"], (-2.0, 2.0), seed=3,
                        gate=PresenceGate(scorer, "brightness"))
    x, y, s = plain.batch(8, 0)
    gx, gy, gs = gated.batch(8, 0)
    assert torch.equal(x, gx) and torch.equal(s, gs) and (s > 0).any() and (s < 0).any()
    present = scorer.torch_scores(x)[:, 0]
    weight = torch.where(s >= 0, 1 - present, present)  # adding: what is missing; removing: what is there
    torch.testing.assert_close(gy - x, weight[:, None, None, None] * (y - x), atol=1e-6, rtol=0)
    assert 0 < weight.min() and weight.max() < 1  # every pair moved, none by the whole change


def test_the_presence_gate_reads_glasses_on_real_renders() -> None:
    """The toyfaces classifier as the gate on renders whose glasses the renderer knows:
    adding glasses leaves the faces that wear them, removing them the faces without."""
    from latentroom.plugins.toyfaces.renderer import render, sample_params
    from latentroom.plugins.toyfaces.scorer import ToyfacesScorer

    params = sample_params(70_100, 48)
    wears = params["glasses"] > 0.5
    assert 5 < wears.sum() < 43
    x = torch.from_numpy(render(params)).permute(0, 3, 1, 2).float() / 127.5 - 1
    gate = PresenceGate(ToyfacesScorer(), "glasses")
    adding, removing = gate(x, torch.full((48,), 2.0)), gate(x, torch.full((48,), -2.0))
    assert (adding[torch.from_numpy(wears)] < 0.05).all() and (adding[torch.from_numpy(~wears)] > 0.95).all()
    torch.testing.assert_close(adding + removing, torch.ones(48))


@pytest.mark.parametrize("mode, found", [
    ("on", "--presence-gate on: scorer latentroom.plugins.directions.testing:image_stats_scorer reads 'brightness' "
           "as a continuous score"),
    ("auto", "presence gate off (brightness is not yes/no"),
])
def test_author_says_when_it_cannot_gate_and_on_never_trains_ungated(world: dict, tmp_path: Path, mode: str,
                                                                     found: str) -> None:
    args = [str(a) for a in author_args(world, tmp_path / "p")]
    args += ["--presence-gate", mode, "--steps", "1", "--inverter", "none", "--variants", "none"]
    result = CliRunner().invoke(cli, args)
    assert found in result.output
    assert (result.exit_code, (tmp_path / "p").exists()) == ((1, False) if mode == "on" else (0, True))


def test_a_generator_without_a_scorer_is_gated_only_when_asked(world: dict) -> None:
    gate, note = resolve_gate("auto", None, world["g"], "stylegan2:g.pt", "brightness", "cpu")
    assert gate is None and note.startswith("off (no scorer for 'brightness'")
    with pytest.raises(DistillError, match="--presence-gate on needs a scorer for 'brightness'.*names no default"):
        resolve_gate("on", None, world["g"], "stylegan2:g.pt", "brightness", "cpu")
    assert resolve_gate("off", SCORER, world["g"], "stylegan2:g.pt", "brightness", "cpu") == (None, "off")
    # A scorer the caller already resolved is used as it is, not resolved again.
    gate, note = resolve_gate("on", None, world["g"], "stylegan2:g.pt", "brightness", "cpu", BrightnessAsYesNo())
    assert gate is not None and note == "brightness as brightness-as-yes-no reads the input"


def test_edited_fidelity_script_measures_a_bundled_preset_against_its_teacher(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """The bundled age preset, on eight held-out teacher pairs at its default strength:
    far closer to its teacher where the teacher edits than the identity is."""
    import re
    import sys

    torch.set_num_threads(1)
    script = load_script("edited_fidelity")
    monkeypatch.setattr(sys, "argv", ["edited_fidelity.py", "presets/age", "--direction",
                                      "plugins/directions/shipped/age.json", "--pairs", "8"])
    script.main()
    line = capsys.readouterr().out
    assert "presence gate off (age is not yes/no for toyfaces-classifier)" in line
    edited, identity = (float(v) for v in re.search(r"([\d.]+) dB on the edited pixels \(identity ([\d.]+)\)",
                                                     line).groups())
    assert edited > identity + 6


def test_teacher_pair_leakage_script_shows_the_gate_leaving_worn_glasses_alone(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """The shipped glasses direction's own pairs on the toyfaces generator, read by the
    judge: ungated, faces that already wear glasses change (a second pair); gated,
    they do not, and the faces without glasses get the same edit as before."""
    import sys

    torch.set_num_threads(1)
    script = load_script("teacher_pair_leakage")
    monkeypatch.setattr(sys, "argv", ["teacher_pair_leakage.py", "plugins/directions/shipped/glasses-from-truth.json",
                                      "--strength", "2", "--samples", "16"])
    script.main()
    rows = {line[:34].strip(): line[34:].split() for line in capsys.readouterr().out.splitlines()[2:]}
    worn = [key for key in rows if key.startswith("gated, with glasses")]
    assert worn and worn[0] != "gated, with glasses (0)"
    assert float(rows[worn[0]][1]) == 0.0 and float(rows["un" + worn[0]][1]) > 0.02
    lacking = next(key for key in rows if key.startswith("gated, lacking"))
    assert rows[lacking] == rows["un" + lacking]
