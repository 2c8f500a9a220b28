"""Truth-based evaluation (plugins.toyfaces.evaluate_preset), its quality labels, the
local (region) teacher and the adversarial distillation term."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner, Result
from PIL import Image

from latentroom.engine.cli import cli
from latentroom.engine.presets.manifest import quality_label
from latentroom.plugins.toyfaces.classifier import load as load_network
from latentroom.plugins.toyfaces.evaluate_preset import TruthSet, evaluate_edit, region_figures, truth_params
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params
from latentroom.plugins.toyfaces.truth import READ_TOLERANCE


@pytest.fixture(scope="module")
def faces() -> tuple[np.ndarray, np.ndarray]:
    params = sample_params(5, 16)
    return render(params), render(edit(params, "glasses", 1.0))


def test_perfect_edit_scores_zero_identity_one_random_more(faces) -> None:
    inputs, truths = faces
    error, outside, _ = region_figures(inputs, truths, truths)
    # Outside the region only sub-threshold anti-aliasing differences (<= 4 levels) remain.
    assert error == 0.0 and outside < 0.01
    error, outside, psnr = region_figures(inputs, inputs, truths)
    assert error == pytest.approx(1.0) and outside == 0.0 and math.isinf(psnr)
    noise = np.random.default_rng(0).integers(0, 256, inputs.shape, dtype=np.uint8)
    error, outside, _ = region_figures(inputs, noise, truths)
    assert error > 1.0 and outside > 50


def test_labels_follow_the_truth_figures() -> None:
    good = {"psnr": 33, "truth_region_error": 0.6, "truth_outside_change": 3.0, "judge_target_ratio": 0.85,
            "judge_other_change": 0.02}
    assert quality_label(good).startswith("good")
    assert quality_label({**good, "truth_region_error": 1.2}).startswith("poor")  # moves away from the truth
    assert quality_label({**good, "truth_outside_change": 9.0}).startswith("poor")
    assert quality_label({**good, "judge_target_ratio": 1.25}).startswith("good")  # overshoot grades like 0.8
    assert quality_label({**good, "judge_appear_rate": 0.5}).startswith("poor")
    assert quality_label({**good, "truth_region_error": 0.4, "truth_outside_change": 1.0, "judge_target_ratio": 0.95,
                          "judge_other_change": 0.01}).startswith("excellent")


def test_half_way_to_the_truth_scores_a_half(faces) -> None:
    inputs, truths = faces
    half = ((inputs.astype(np.int32) + truths) // 2).astype(np.uint8)
    error, _, _ = region_figures(inputs, half, truths)
    assert error == pytest.approx(0.5, abs=0.01)  # integer halving rounds some pixels by half a level


LABEL_METRICS = {"psnr", "truth_region_error", "truth_outside_change", "judge_target_ratio", "judge_other_change",
                 "judge_appear_rate"}


def documented_thresholds() -> dict[str, tuple[bool, tuple[float, float, float]]]:
    """docs/distillation.md's "Quality labels" table: per metric, whether higher is
    better and its excellent / good / fair thresholds."""
    docs = (Path(__file__).parents[1] / "docs" / "distillation.md").read_text()
    table = docs.split("### Quality labels")[1].split("\n## ")[0]
    rows = {}
    for line in table.splitlines():
        row = re.match(r"\| `(\w+)`[^|]*\| ([≥≤]) ([\d.]+) \| [≥≤] ([\d.]+) \| [≥≤] ([\d.]+)", line)
        if row:
            rows[row[1]] = (row[2] == "≥", (float(row[3]), float(row[4]), float(row[5])))
    return rows


def test_the_labels_docs_table_lists_every_truth_metric() -> None:
    assert set(documented_thresholds()) == LABEL_METRICS


@pytest.mark.parametrize("metric", sorted(LABEL_METRICS))
def test_label_thresholds_are_the_documented_ones(metric: str) -> None:
    higher, thresholds = documented_thresholds()[metric]
    worse = (lambda t: t * (1 - 1e-6)) if higher else (lambda t: t * (1 + 1e-6))
    for threshold, at, past in zip(thresholds, ("excellent", "good", "fair"), ("good", "fair", "poor")):
        assert quality_label({metric: threshold}).startswith(at + " ("), (metric, threshold)
        assert quality_label({metric: worse(threshold)}).startswith(past + " ("), (metric, threshold)
        if metric == "judge_target_ratio":  # overshooting by the same factor grades the same
            assert quality_label({metric: 1 / threshold * (1 - 1e-9)}).startswith(at + " (")
            assert quality_label({metric: 1 / worse(threshold)}).startswith(past + " (")


def test_good_is_the_issues_acceptance_bar() -> None:
    # Issue 15's Done-when: region error <= 0.75, outside <= 4 levels, judge >= 80% of the
    # truth's change, other attributes <= 0.03, glasses/beard appear on >= 90%.
    bar = {"truth_region_error": 0.75, "truth_outside_change": 4.0, "judge_target_ratio": 0.8,
           "judge_other_change": 0.03, "judge_appear_rate": 0.9}
    assert quality_label(bar).startswith("good (")
    short = {"truth_region_error": 0.76, "truth_outside_change": 4.1, "judge_target_ratio": 0.79,
             "judge_other_change": 0.031, "judge_appear_rate": 0.89}
    for key, value in short.items():
        assert quality_label({**bar, key: value}).startswith("fair ("), key


def test_moving_away_from_the_truth_is_poor_whatever_else() -> None:
    excellent = {"psnr": 40, "truth_region_error": 0.1, "truth_outside_change": 0.5, "judge_target_ratio": 1.0,
                 "judge_other_change": 0.001, "judge_appear_rate": 1.0}
    assert quality_label(excellent).startswith("excellent (")
    assert quality_label({**excellent, "truth_region_error": 1.001}).startswith("poor (")
    # A figure that could not be measured (no truth change: NaN) earns nothing either.
    assert quality_label({**excellent, "judge_target_ratio": float("nan")}).startswith("poor (")


@pytest.fixture(scope="module")
def judge():
    return load_network("cpu", arch="judge")


def test_evaluation_of_a_random_change(judge) -> None:
    rng = np.random.default_rng(1)
    noise, _ = evaluate_edit(lambda pixels, s: rng.integers(0, 256, pixels.shape, dtype=np.uint8), "glasses", 2.0,
                             0.0, judge, images=24)
    assert noise.region_error > 1.0 and noise.outside_change > 50 and noise.outside_psnr < 10
    figures = {"truth_" + k if not k.startswith("judge") else k: v for k, v in noise.to_json().items()}
    assert quality_label(figures).startswith("poor (")


def test_a_continuous_truth_is_the_amount_the_judge_reads(judge) -> None:
    # Teacher amounts are the judge's readings, and the judge reads the renderer's smile
    # low: the truth moves every face further than the amount, until the judge reads it.
    amount = 0.25
    truth = TruthSet.draw("smile", 2.0, amount, judge, images=24)
    column = ATTRIBUTE_NAMES.index("smile")
    assert (truth.judge_truths - truth.judge_inputs)[:, column].mean() == pytest.approx(amount, abs=READ_TOLERANCE)
    assert truth.render_amount > amount + 0.004
    params = sample_params(60_000, 24)
    assert np.array_equal(truth.truths, render(truth_params(params, "smile", 2.0, truth.render_amount)[0]))
    on_scale = TruthSet.draw("smile", 2.0, amount, judge, images=24, scale="renderer")
    assert on_scale.render_amount == pytest.approx(amount, abs=1e-5)
    assert np.array_equal(on_scale.truths, render(truth_params(params, "smile", 2.0, amount)[0]))
    perfect = truth.measure(truth.truths, judge)
    assert perfect.region_error == 0.0 and perfect.judge_target_ratio == pytest.approx(1.0)
    assert perfect.judge_appear_rate is None  # smile is continuous
    nothing, images = evaluate_edit(lambda pixels, s: pixels, "smile", 2.0, amount, judge, images=24)
    assert nothing.region_error == pytest.approx(1.0) and abs(nothing.judge_target_ratio) < 1e-9
    assert np.array_equal(images["truth"], truth.truths)


def test_a_truth_the_judge_cannot_read_goes_to_the_end_of_the_scale(judge) -> None:
    # The judge reads a lowered age at most ~0.22 on renders (its reading stops falling
    # before every face is young): asked for more, the truth goes to the scale's end.
    truth = TruthSet.draw("age", -3.0, -0.6, judge, images=24)
    params = sample_params(60_000, 24)
    assert truth.render_amount == pytest.approx(-params["age"].mean(), abs=1e-5)
    assert np.array_equal(truth.truths, render(edit(params, "age", -1.0)))


def test_a_preset_is_measured_on_both_sides_of_zero_when_its_range_allows() -> None:
    from latentroom.plugins.toyfaces.evaluate_preset import evaluation_strengths

    assert evaluation_strengths(2.0, -3.0, 3.0) == [2.0, 1.0, -2.0]
    assert evaluation_strengths(6.0, -4.0, 8.0) == [6.0, 3.0, -4.0]  # clipped to the range
    assert evaluation_strengths(2.0, 0.0, 3.0) == [2.0, 1.0]  # nothing below zero to measure
    assert evaluation_strengths(-2.0, -3.0, 1.0) == [-2.0, -1.0, 1.0]


def test_evaluation_of_the_true_edit_and_of_doing_nothing() -> None:
    judge = load_network("cpu", arch="judge")

    def truth(pixels: np.ndarray, strength: float) -> np.ndarray:
        return render(truth_params(sample_params(60_000, len(pixels)), "glasses", strength, 0.0)[0])

    perfect, _ = evaluate_edit(truth, "glasses", 2.0, 0.0, judge, images=24)
    assert perfect.region_error == 0.0 and perfect.outside_change < 0.01
    assert perfect.judge_appear_rate > 0.9 and perfect.judge_target_ratio == pytest.approx(1.0)
    nothing, _ = evaluate_edit(lambda pixels, s: pixels, "glasses", 2.0, 0.0, judge, images=24)
    assert nothing.region_error == pytest.approx(1.0) and nothing.judge_appear_rate < 0.1
    # Taking glasses off: the rate counts the faces that had them and lost them.
    removed, _ = evaluate_edit(truth, "glasses", -2.0, 0.0, judge, images=24)
    assert removed.region_error == 0.0 and removed.judge_appear_rate > 0.9
    kept, _ = evaluate_edit(lambda pixels, s: pixels, "glasses", -2.0, 0.0, judge, images=24)
    assert kept.judge_appear_rate < 0.1 and kept.region_error == pytest.approx(1.0)


def test_a_preset_is_measured_as_apply_runs_it() -> None:
    # Users get the aligned path (face found, cut to the template, change carried back);
    # a glasses student of session 20 drew glasses on 87% of faces run alone and on 78%
    # through it. The evaluation's applied method is exactly what apply gives.
    from latentroom.engine.presets import load_preset
    from latentroom.plugins.toyfaces.evaluate_preset import applied_edit

    preset = load_preset("glasses", provider="cpu")
    renders = render(sample_params(60_000, 12))
    strength = preset.manifest["strength"]["default"]
    applied = applied_edit((preset.path / "model.onnx").read_bytes(), preset.manifest["alignment"])(renders, strength)
    assert np.array_equal(applied, preset.apply(renders, strength=strength))
    alone = preset.run(renders, strength)
    assert np.abs(applied.astype(int) - alone).max() > 8  # the aligned path is another edit, not a copy


def test_evaluate_command_labels_the_preset_as_applied(tmp_path: Path) -> None:
    from latentroom.engine.presets import load_preset

    manifest = load_preset("glasses", provider="cpu").manifest
    direction = f"plugins/directions/shipped/{manifest['x-distill']['direction_file']}"
    strength = f"{manifest['strength']['default']:g}"
    result = CliRunner().invoke(cli, ["toyfaces", "evaluate", "glasses", "--direction", direction, "--strength",
                                      strength, "--images", "8", "--device", "cpu", "--json", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    applied = re.search(rf"applied @ {strength}: region_error (\S+)", result.output)
    assert applied and f"preset @ {strength}: region_error" in result.output
    assert f"truth_region_error {applied.group(1)}" in result.output.split("label:")[1]


def test_a_preset_of_latent_pairs_is_graded_at_its_recorded_teacher_amounts() -> None:
    from latentroom.engine.errors import LatentroomError
    from latentroom.plugins.toyfaces.evaluate_preset import recorded_pairs_amounts

    amount_at = recorded_pairs_amounts({"teacher_amounts": {"0.5": 0.25, "0.25": 0.1, "-0.5": -0.3}}, "preset p")
    assert amount_at(0.5) == pytest.approx(0.25) and amount_at(0.25) == pytest.approx(0.1)
    assert amount_at(0.2) == pytest.approx(0.08)  # the nearest strength's amount, in proportion
    assert amount_at(1.0) == pytest.approx(0.5) and amount_at(-0.25) == pytest.approx(-0.15)
    assert recorded_pairs_amounts(None, "preset p") is None
    assert recorded_pairs_amounts([1, 2], "preset p") is None  # an x-distill section is untrusted
    # Only a continuous attribute's truth asks for an amount: the refusal comes then.
    for bad, message in (({"made_by": {"amount": 0.35}}, "record no teacher_amounts"),
                         ({"teacher_amounts": {"0.5": "x"}}, "finite numbers, not '0.5': 'x'"),
                         ({"teacher_amounts": {"half": 0.2}}, "not 'half': 0.2"),
                         ({"teacher_amounts": {"0.5": float("nan")}}, "finite numbers"),
                         ({"teacher_amounts": {"0.5": 0.25}}, "no teacher amount is recorded on the side of "
                                                              "strength -0.5 \\(recorded at 0.5\\)")):
        amount_of = recorded_pairs_amounts(bad, "preset p")
        with pytest.raises(LatentroomError, match=f"preset p: .*{message}"):
            amount_of(-0.5 if "side" in message else 0.5)


def test_evaluate_command_takes_the_truth_amount_from_the_presets_pairs(tmp_path: Path) -> None:
    # A student of each face's own true edit is graded against the edit its pairs'
    # teacher makes, as author recorded it (here 0.3 of the hair scale at strength 0.6,
    # so 0.15 at 0.3), not against what the direction's mean offset makes of the
    # generator's samples.
    import json
    import shutil

    from latentroom.engine.presets import load_preset

    bundle = tmp_path / "hair"
    shutil.copytree(load_preset("hair_length", provider="cpu").path, bundle)
    manifest = json.loads((bundle / "preset.json").read_text())
    manifest["x-distill"]["latent_pairs"]["teacher_amounts"] = {"0.6": 0.3}
    (bundle / "preset.json").write_text(json.dumps(manifest))
    evaluate = ["toyfaces", "evaluate", str(bundle), "--direction", "plugins/directions/shipped/hair_length-pairs.json",
                "--strength", "0.3", "--images", "8", "--device", "cpu"]
    out = tmp_path / "e.json"
    result = CliRunner().invoke(cli, evaluate + ["--json", str(out)])
    assert result.exit_code == 0, result.output
    measured = json.loads(out.read_text())
    assert measured["truth_amounts"] == {"0.3": pytest.approx(0.15)}
    # ... as the judge reads it: the renderer moves hair further than that.
    assert measured["figures"]["preset"]["0.3"]["judge_truth_target_change"] == pytest.approx(0.15, abs=1e-3)
    assert measured["truth_render_amounts"]["0.3"] > 0.15
    del manifest["x-distill"]["latent_pairs"]["teacher_amounts"]  # authored before they were measured
    (bundle / "preset.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(cli, evaluate)
    assert result.exit_code != 0 and f"preset {bundle}: its latent pairs record no teacher_amounts" in result.output


def test_region_command_writes_a_mask(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["toyfaces", "region", "smile", "--size", "64", "-o", str(tmp_path / "m.png")])
    assert result.exit_code == 0, result.output
    mask = np.asarray(Image.open(tmp_path / "m.png"))
    assert mask.shape == (64, 64) and 0 < (mask > 127).mean() < 0.2  # the mouth, not the face
    bad = CliRunner().invoke(cli, ["toyfaces", "region", "freckles", "-o", str(tmp_path / "x.png")])
    assert bad.exit_code != 0 and "unknown attribute 'freckles'" in bad.output


def test_region_keeps_the_teacher_edit_local() -> None:
    from latentroom.engine.direction import Direction, Provenance
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.distill.pairs import PairSampler

    g = tiny_stylegan2(size=32)
    direction = Direction.from_vector(np.ones(g.style_dim), g.n_latent, Provenance("test", "brightness"),
                                      scale=2.0, strength_range=(-2.0, 2.0))
    region = torch.zeros(32, 32)
    region[:, :16] = 1.0
    x, y, _ = PairSampler(g, direction, (1.0, 2.0), region=region).batch(3, 0)
    _, y_full, _ = PairSampler(g, direction, (1.0, 2.0)).batch(3, 0)
    assert torch.equal(y[..., 16:], x[..., 16:])
    assert torch.allclose(y[..., :16], y_full[..., :16], atol=1e-5) and (y_full - x)[..., :16].abs().max() > 0.01


def test_adversarial_term_trains_and_resumes(tmp_path: Path) -> None:
    from latentroom.engine.direction import Direction, Provenance
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.distill.pairs import PairSampler
    from latentroom.plugins.distill.student import Student, StudentConfig
    from latentroom.plugins.distill.train import TrainSettings, load_state, train_student

    g = tiny_stylegan2(size=32)
    direction = Direction.from_vector(np.ones(g.style_dim), g.n_latent, Provenance("test", "brightness"))
    sampler = PairSampler(g, direction, (-2.0, 2.0))
    config = StudentConfig(widths=(8, 16, 16), embed_dim=16, strength_scale=2.0)
    settings = TrainSettings(steps=3, batch_size=2, log_every=1, adversarial_weight=0.1, stop_at=2)
    lines: list[str] = []
    train_student(sampler, Student(config), settings, tmp_path, {}, echo=lines.append)
    assert "adversarial" in lines[-2] and "discriminator" in lines[-2]
    assert "discriminator" in load_state(tmp_path) and load_state(tmp_path)["step"] == 2
    result = train_student(sampler, Student(config), TrainSettings(**{**settings.__dict__, "stop_at": None}),
                           tmp_path, {}, resume=True, echo=lines.append)
    assert result.done and result.step == 3


def test_discriminator_tells_a_single_ring_from_a_doubled_one() -> None:
    # A ghost is a small change of a few pixels: a thin dark ring against the same ring
    # drawn twice, 3 px apart, at half strength (0.018 a pixel apart on average). The
    # spectrally normalised (1-Lipschitz) discriminator barely learns it from the
    # images as they are; from the residual amplified it does.
    from latentroom.plugins.distill.discriminator import RESIDUAL_GAIN, PatchDiscriminator, discriminator_loss

    torch.manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")

    def rings(centres: torch.Tensor, dx: float) -> torch.Tensor:
        return torch.stack([(((xx - cx - dx) ** 2 + (yy - cy) ** 2).sqrt() - 5).abs().lt(0.8).float()
                            for cx, cy in centres])[:, None]

    def trained_loss(gain: float) -> float:
        d = PatchDiscriminator((16, 32, 64), residual_gain=gain)
        optimizer = torch.optim.Adam(d.parameters(), 5e-4, betas=(0.5, 0.99))
        losses = []
        for _ in range(100):
            x = torch.rand(16, 3, 1, 1) * 1.6 - 0.8 + 0.05 * torch.randn(16, 3, 32, 32)
            centres = torch.randint(10, 22, (16, 2)).float()
            single, doubled = x - 0.3 * rings(centres, 0), x - 0.15 * (rings(centres, -1.5) + rings(centres, 1.5))
            loss = discriminator_loss(d(x, single), d(x, doubled))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return sum(losses[-10:]) / 10

    assert trained_loss(1.0) > 1.0  # chance is 2 ln 2 = 1.386
    assert trained_loss(RESIDUAL_GAIN) < 0.6


def test_adversarial_term_waits_for_its_start_then_ramps() -> None:
    from latentroom.plugins.distill.train import TrainSettings, adversarial_weight_at

    settings = TrainSettings(steps=100, adversarial_weight=0.2, adversarial_start=0.5)
    weights = [adversarial_weight_at(settings, p) for p in (0.0, 0.5, 0.55, 0.6, 1.0)]
    assert weights == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.2])


def test_student_trains_as_without_a_discriminator_before_the_adversarial_start(tmp_path: Path) -> None:
    from latentroom.engine.direction import Direction, Provenance
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.distill.pairs import PairSampler
    from latentroom.plugins.distill.student import Student, StudentConfig
    from latentroom.plugins.distill.train import TrainSettings, train_student

    g = tiny_stylegan2(size=32)
    direction = Direction.from_vector(np.ones(g.style_dim), g.n_latent, Provenance("test", "brightness"))
    config = StudentConfig(widths=(8, 16, 16), embed_dim=16, strength_scale=2.0)
    students = []
    for run, weight in enumerate((0.0, 0.5)):
        torch.manual_seed(0)
        student = Student(config)
        initial = {k: v.clone() for k, v in student.state_dict().items()}
        settings = TrainSettings(steps=4, batch_size=2, adversarial_weight=weight, adversarial_start=1.0)
        train_student(PairSampler(g, direction, (-2.0, 2.0)), student, settings, tmp_path / str(run), {},
                      echo=lambda _: None)
        students.append(student.state_dict())
    assert all(torch.equal(students[0][k], students[1][k]) for k in students[0])
    assert any(not torch.equal(v, initial[k]) for k, v in students[1].items())  # it did train


@pytest.fixture(scope="module")
def generator_path():
    from latentroom.engine.plugins import get_inverter, resolve_generator
    from latentroom.plugins.distill.author import load_direction
    from latentroom.plugins.toyfaces.evaluate_preset import GeneratorPath

    g = resolve_generator("toyfaces", "cpu")
    direction = load_direction(Path(__file__).parents[1] / "plugins/directions/shipped/glasses.json", g)
    return GeneratorPath(g, get_inverter("encoder").value(g, "cpu")), direction


def test_teacher_in_a_region_adds_the_generators_change_to_the_input(generator_path) -> None:
    from latentroom.plugins.distill.quality import to_model

    path, direction = generator_path
    pixels = render(sample_params(60_000, 4))
    region = torch.zeros(128, 128)
    region[:, :64] = 1.0
    # At strength 0 the teacher is the input itself, not the inverter's reconstruction.
    assert np.array_equal(path.edit(direction, region)(pixels, 0.0), pixels)
    reconstruction = path.edit(direction)(pixels, 0.0)
    assert np.abs(reconstruction.astype(int) - pixels).mean() > 1.0
    edited = path.edit(direction, region)(pixels, 3.0)
    assert np.array_equal(edited[:, :, 64:], pixels[:, :, 64:])
    change = to_model(path.edit(direction)(pixels, 3.0)) - to_model(reconstruction)
    expected = np.clip(to_model(pixels) + change, -1, 1)[..., :64]
    assert np.abs(to_model(edited)[..., :64] - expected).max() <= 2.5 / 127.5  # two 8-bit roundings
    assert np.abs(change[..., :64]).mean() > 0.01


def test_the_inverted_truth_in_each_faces_region_moves_nothing_else(generator_path) -> None:
    from latentroom.plugins.toyfaces.regions import moved_region

    path, _ = generator_path
    params = sample_params(60_000, 4)
    pixels, truths = render(params), render(edit(params, "glasses", 1.0))
    region = torch.zeros(128, 128)
    region[:, :64] = 1.0
    own = moved_region(pixels, truths, 2)
    assert own.any() and not own.all()
    whole = path.transfer(pixels, truths, region)
    kept = path.transfer(pixels, truths, region, own)
    inside = np.broadcast_to((own & (region.numpy() > 0))[..., None], pixels.shape)
    assert np.array_equal(kept[~inside], pixels[~inside])
    assert np.array_equal(kept[inside], whole[inside])
    assert (whole[~inside] != pixels[~inside]).mean() > 0.05  # the reconstructions differ elsewhere too


def test_moved_region_is_each_faces_visible_change_grown_by_a_square() -> None:
    from latentroom.plugins.toyfaces.regions import MOVED_LEVELS, moved_region

    before = np.full((3, 12, 12, 3), 100, np.uint8)
    after = before.copy()
    after[0, 5, 6, 1] += MOVED_LEVELS + 1  # one channel of one pixel moves
    after[1, 2, 2] += MOVED_LEVELS  # a change no larger than the threshold is not a move
    grown = moved_region(before, after, 2)
    assert grown[0, 3:8, 4:9].all() and grown[0].sum() == 25  # the 5x5 square round it
    assert not grown[1:].any()
    assert np.array_equal(moved_region(before, after, 0)[0], after[0, ..., 1] != 100)
    edge = after.copy()
    edge[2, 0, 11] = 0
    assert moved_region(before, edge, 1)[2].sum() == 4  # cut off at the frame's corner


def test_evaluate_direction_command_measures_a_teacher(tmp_path: Path) -> None:
    import json

    region = tmp_path / "glasses.png"
    made = CliRunner().invoke(cli, ["toyfaces", "region", "glasses", "--grow", "1", "--feather", "0",
                                    "-o", str(region)])
    assert made.exit_code == 0, made.output
    result = CliRunner().invoke(cli, ["toyfaces", "evaluate-direction", "plugins/directions/shipped/glasses.json",
                                      "--strength", "0", "--strength", "3", "--region", str(region), "--images", "6",
                                      "--inverted-truth", "--device", "cpu", "--sheet", str(tmp_path / "s.png"),
                                      "--json", str(tmp_path / "f.json"), "-O", "batch_size=4"])
    assert result.exit_code == 0, result.output
    measured = json.loads((tmp_path / "f.json").read_text())["figures"]
    figures = measured["teacher"]
    assert figures["0"]["region_error"] == 1.0 and figures["0"]["outside_change"] == 0.0  # the identity
    # The inverted truth at the first strength (0: glasses taken off those that wear them).
    assert list(measured["inverted_truth"]) == ["0"] and measured["inverted_truth"]["0"]["judge_target_change"] < -0.1
    assert figures["3"]["judge_target_change"] > 0.1 and "judge_appear_rate" in figures["3"]
    assert Image.open(tmp_path / "s.png").size == (3 * 128, 6 * 128)  # input | teacher | truth
    missing = CliRunner().invoke(cli, ["toyfaces", "evaluate-direction", "plugins/directions/shipped/glasses.json"])
    assert missing.exit_code != 0 and "--strength" in missing.output
    unknown = CliRunner().invoke(cli, ["toyfaces", "evaluate-direction", "plugins/directions/shipped/glasses.json",
                                       "--strength", "3", "--images", "2", "--device", "cpu", "-O", "stepz=3"])
    assert unknown.exit_code != 0 and "stepz" in unknown.output  # the options reach the inverter


def test_the_inverted_truth_of_a_pairs_direction_is_drawn_at_the_pairs_amount(tmp_path: Path) -> None:
    # The inverted truth is the ceiling of a student of the direction's pairs, which hold
    # each face's edit at the find's amount (0.35 at a truth strength of 8 here); the
    # teacher's own figure stays against what its mean offset makes of the generator's
    # samples.
    import json
    import shutil

    shutil.copy("plugins/directions/shipped/hair_length.npy", tmp_path)
    data = json.loads(Path("plugins/directions/shipped/hair_length.json").read_text())
    data["provenance"].update(source="inverted-truth")
    data["provenance"]["parameters"]["amount"] = 0.35
    data["provenance"]["details"].update(truth_strength=8.0, pairs={"file": "p.npz", "sha256": "0" * 64, "faces": 9})
    direction = tmp_path / "hair_length.json"
    direction.write_text(json.dumps(data))

    def evaluate(*extra: str) -> Result:
        return CliRunner().invoke(cli, ["toyfaces", "evaluate-direction", str(direction), "--strength", "8",
                                        "--images", "4", "--amount-samples", "8", "--device", "cpu",
                                        "-O", "batch_size=4", *extra])

    result = evaluate("--inverted-truth", "--json", str(tmp_path / "f.json"))
    assert result.exit_code == 0, result.output
    measured = json.loads((tmp_path / "f.json").read_text())
    assert measured["method_truth_amounts"] == {"inverted_truth": {"8": pytest.approx(0.35)}}
    assert measured["truth_amounts"]["8"] < 0.3  # the teacher's: its mean offset's edit
    figures = measured["figures"]
    assert (figures["inverted_truth"]["8"]["judge_truth_target_change"]
            > figures["teacher"]["8"]["judge_truth_target_change"] + 0.03)
    without = evaluate("--json", str(tmp_path / "g.json"))
    assert without.exit_code == 0, without.output
    assert "method_truth_amounts" not in json.loads((tmp_path / "g.json").read_text())
    # Kept inside each face's own region the inverted truth moves less where the truth moves nothing.
    own = evaluate("--inverted-truth", "--face-regions", "2", "--json", str(tmp_path / "o.json"))
    assert own.exit_code == 0, own.output
    assert "in its own region grown by 2 px" in own.output
    kept = json.loads((tmp_path / "o.json").read_text())
    assert kept["method_face_regions"] == {"inverted_truth": 2}
    assert (kept["figures"]["inverted_truth"]["8"]["outside_change"]
            < 0.8 * figures["inverted_truth"]["8"]["outside_change"])
    assert kept["figures"]["teacher"] == figures["teacher"]
    alone = evaluate("--face-regions", "2")
    assert alone.exit_code != 0 and "add --inverted-truth" in alone.output
    assert evaluate("--inverted-truth", "--face-regions", "33").exit_code != 0
    # A binary attribute's truth is a switch: its pairs' inverted truth shares the teacher's.
    binary = CliRunner().invoke(cli, ["toyfaces", "evaluate-direction", "plugins/directions/shipped/glasses-pairs.json",
                                      "--strength", "0.83", "--images", "4", "--inverted-truth", "--device", "cpu",
                                      "-O", "batch_size=4", "--json", str(tmp_path / "b.json")])
    assert binary.exit_code == 0, binary.output
    assert "method_truth_amounts" not in json.loads((tmp_path / "b.json").read_text())
    data["provenance"]["parameters"]["amount"] = "lots"
    direction.write_text(json.dumps(data))
    bad = evaluate("--inverted-truth")
    assert bad.exit_code != 0 and f"direction {direction}: latent pairs' amount 'lots'" in bad.output


def test_region_grows_by_whole_pixels() -> None:
    from latentroom.plugins.toyfaces.regions import attribute_region, dilate

    dot = np.zeros((9, 9), bool)
    dot[4, 4] = True
    assert dilate(dot, 2).sum() == 13 and dilate(dot, 2)[4, 2] and not dilate(dot, 2)[2, 2]
    plain = attribute_region("smile", 64, samples=50, sigma=0) > 0.5
    grown = attribute_region("smile", 64, samples=50, grow=3, sigma=0) > 0.5
    assert (grown >= plain).all() and grown.sum() > plain.sum()
