"""Latent pairs (``inverted-truth --param pairs=FILE``, ``author --latent-pairs``): each
face's own recorded edit as the teacher, on the shipped toyfaces generator (CPU)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import latentroom.engine.plugins as plugins
from latentroom.engine.cli import cli
from latentroom.engine.direction import Direction
from latentroom.plugins.distill.errors import DistillError
from latentroom.plugins.distill.latent_pairs import load_latent_pairs, write_latent_pairs
from latentroom.plugins.distill.pairs import FIT, HELD_OUT, TRAIN, PairSampler
from latentroom.plugins.toyfaces.truth_direction import true_edit_sides
from test_untrusted import finishes


def _find_with_pairs(root: Path, attribute: str, faces: int) -> dict:
    """``attribute`` found on ``faces`` faces through the encoder, with their pairs written."""
    direction, pairs = root / f"{attribute}.json", root / f"{attribute}-pairs.npz"
    result = CliRunner().invoke(cli, ["direction", "find", "inverted-truth", "-a", attribute, "--layers", "all",
                                      "--samples", str(faces), "--param", f"pairs={pairs}", "--device", "cpu",
                                      "-o", str(direction)])
    assert result.exit_code == 0, result.output
    return {"root": root, "direction": direction, "pairs": pairs}


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Glasses found on 40 faces."""
    plugins.reset()
    return _find_with_pairs(tmp_path_factory.mktemp("pairs"), "glasses", 40)


def test_a_find_writes_every_faces_latents_and_records_their_digest(found: dict) -> None:
    pairs = load_latent_pairs(found["pairs"])
    direction = Direction.load(found["direction"])
    details = direction.provenance.details
    assert details["pairs"] == {"file": "glasses-pairs.npz", "sha256": pairs.sha256, "faces": 40}
    assert pairs.before.shape == (40, 12, 256) and pairs.held_out == 4
    assert pairs.truth_strength == pytest.approx(details["truth_strength"])
    assert pairs.record["made_by"]["inverter"] == "encoder"
    # A face that wears glasses is unchanged by putting them on: its true offset is zero,
    # exactly (no second, slightly different inversion); likewise taking them off one that has none.
    before, up, down, lacked = true_edit_sides("glasses", 40, 0, 0.35, 128)
    assert 0 < lacked.sum() < 40
    assert np.array_equal(pairs.up[~lacked], pairs.before[~lacked])
    assert np.array_equal(pairs.down[lacked], pairs.before[lacked])
    moved_up = np.abs(pairs.up[lacked] - pairs.before[lacked]).reshape(lacked.sum(), -1).max(1)
    assert (moved_up > 0.1).all()
    # The direction is the mean offset of the faces put on glasses, over its layers.
    mean = (pairs.up[lacked] - pairs.before[lacked]).mean((0, 1))
    assert float(mean @ direction.vector) / np.linalg.norm(mean) == pytest.approx(1.0, abs=1e-4)


def _renders(generator, latents: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        return generator.synthesis(torch.from_numpy(latents), noise_mode="const").float().clamp(-1, 1)


def _which(images: torch.Tensor, faces: torch.Tensor) -> list[int]:
    """The index among ``faces`` of each image, each of which must be one of them."""
    distance = (images[:, None] - faces[None]).abs().flatten(2).amax(2)
    assert (distance.min(1).values < 1e-4).all()  # every input is one of the file's faces
    return distance.argmin(1).tolist()


def test_the_teacher_is_each_faces_own_edit_and_held_out_faces_stay_out(found: dict) -> None:
    from latentroom.engine.plugins import resolve_generator

    generator = resolve_generator("toyfaces", "cpu")
    direction, pairs = Direction.load(found["direction"]), load_latent_pairs(found["pairs"])
    ts = pairs.truth_strength
    sampler = PairSampler(generator, direction, (-ts, ts), pairs=pairs)
    faces = _renders(generator, pairs.before)
    ups, downs = _renders(generator, pairs.up), _renders(generator, pairs.down)

    held = set(range(36, 40))
    # The fit stream measures the student on the faces it trained on: only those.
    for stream, allowed in ((TRAIN, set(range(36))), (FIT, set(range(36))), (HELD_OUT, held)):
        x, y, _ = sampler.batch(12, 0, stream, strength=ts)
        picked = _which(x, faces)
        assert set(picked) <= allowed
        # At the truth strength the edit is the face's whole recorded offset.
        assert torch.allclose(y, ups[picked], atol=1e-4)
    x, y, _ = sampler.batch(12, 1, TRAIN, strength=-ts)
    assert torch.allclose(y, downs[_which(x, faces)], atol=1e-4)
    x, y, _ = sampler.batch(12, 2, TRAIN, strength=0.0)
    assert torch.equal(x, y)


def test_below_the_truth_strength_each_faces_whole_edit_is_faded_in(found: dict) -> None:
    """The generator draws a yes/no attribute part of the way as something else (a dark
    box, outsized frames): by default a partial strength is the face's one drawing at
    lower opacity; ``latent`` keeps the share of the offset."""
    from latentroom.engine.plugins import resolve_generator

    generator = resolve_generator("toyfaces", "cpu")
    direction, pairs = Direction.load(found["direction"]), load_latent_pairs(found["pairs"])
    ts = pairs.truth_strength
    faded = PairSampler(generator, direction, (-2 * ts, 2 * ts), pairs=pairs)
    shared = PairSampler(generator, direction, (-2 * ts, 2 * ts), pairs=pairs, partial_edit="latent")
    x, whole, _ = faded.batch(12, 0, TRAIN, strength=ts)
    x_half, half, _ = faded.batch(12, 0, TRAIN, strength=ts / 4)
    assert torch.equal(x, x_half)
    assert torch.allclose(half - x, (whole - x) / 4, atol=1e-5)
    _, share, _ = shared.batch(12, 0, TRAIN, strength=ts / 4)
    picked = _which(x, _renders(generator, pairs.before))
    quarter = pairs.before + (pairs.up - pairs.before) / 4
    assert torch.allclose(share, _renders(generator, quarter[picked]), atol=1e-4)
    moved = (whole - x).abs().flatten(1).amax(1) > 0.1  # faces put on glasses
    assert moved.any() and not torch.allclose(share[moved], half[moved], atol=0.05)
    # Beyond the truth strength both draw the extrapolated latent.
    for beyond in (1.5 * ts, -1.5 * ts):
        assert torch.equal(faded.batch(12, 0, TRAIN, strength=beyond)[1],
                           shared.batch(12, 0, TRAIN, strength=beyond)[1])


def test_author_trains_on_the_pairs_jittered_and_records_them(found: dict, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    out = tmp_path / "glasses"
    result = CliRunner().invoke(cli, [
        "author", "glasses", "--direction", str(found["direction"]), "--latent-pairs", str(found["pairs"]),
        "--steps", "2", "--batch-size", "2", "--widths", "4,8", "--eval-images", "4", "--held-out-pairs", "4",
        "--jitter-shift", "13", "--jitter-scale", "0.12", "--jitter-rotate", "3", "--grain-jitter", "0.5",
        "--inverter", "none", "--variants", "none", "--device", "cpu", "-o", str(out)],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "latent pairs" in result.output and "(40 faces, 4 held out)" in result.output
    assert "presence gate off" in result.output  # the pairs leave a face that wears glasses as it is
    manifest = json.loads((out / "preset.json").read_text())
    truth_strength = load_latent_pairs(found["pairs"]).truth_strength
    assert manifest["description"].endswith(f"strength {truth_strength:.3g} is each face's true edit.")
    distill = manifest["x-distill"]
    record = distill["latent_pairs"]
    assert record["sha256"] == load_latent_pairs(found["pairs"]).sha256 and record["faces"] == 40
    assert record["partial_edit"] == "fade" and "partial edits fade" in result.output
    # Beside the held-out faces, the fit on the faces it trained on (underfit or overfit).
    assert math.isfinite(manifest["metrics"]["psnr_edited_pixels_trained_faces"])
    assert "on faces it trained on" in result.output
    # Pairs from a fixed set of faces are moved as apply's face crops move faces.
    assert distill["jitter"] == {"shift": 13.0, "scale": 0.12, "rotate": 3.0, "interpolation": "bicubic"}
    assert distill["grain_jitter"] == {"share": 0.5} and "up to 0.5 of the input's grain taken off" in result.output
    # Measured as apply runs it: the label is of the aligned path.
    figures = distill["quality"]["truth"]["figures"]
    assert set(figures) == {"preset", "applied"} and list(figures["applied"]) == list(figures["preset"])


@pytest.fixture(scope="module")
def hair(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """hair_length (a continuous attribute) found on 12 faces: one held out."""
    found = _find_with_pairs(tmp_path_factory.mktemp("hair-pairs"), "hair_length", 12)
    assert load_latent_pairs(found["pairs"]).held_out == 1
    return found


def test_continuous_pairs_are_graded_at_the_amount_their_teacher_makes(hair: dict, tmp_path: Path) -> None:
    from latentroom.plugins.toyfaces.classifier import load as load_network
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

    torch.set_num_threads(1)
    pairs = load_latent_pairs(hair["pairs"])
    t = pairs.truth_strength
    out = tmp_path / "hair"
    result = CliRunner().invoke(cli, [
        "author", "hair_length", "--direction", str(hair["direction"]), "--latent-pairs", str(hair["pairs"]),
        "--strength-range", f"{-t},{t}", "--default-strength", f"{t}", "--steps", "2", "--batch-size", "2",
        "--widths", "4,8", "--eval-images", "4", "--held-out-pairs", "4", "--jitter-shift", "13",
        "--inverter", "none", "--variants", "none", "--device", "cpu", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    distill = json.loads((out / "preset.json").read_text())["x-distill"]
    recorded = distill["latent_pairs"]["teacher_amounts"]
    assert recorded == distill["quality"]["truth"]["truth_amounts"]
    assert list(recorded) == [f"{t:g}", f"{t / 2:g}", f"{-t:g}"]
    # At the truth strength every pair is the held-out face and its own edit, in place
    # (unjittered): the judge's change between the two, drawn here by the generator.
    generator = plugins.resolve_generator("toyfaces", "cpu")
    judge = load_network(torch.device("cpu"), arch="judge")
    hair_column = ATTRIBUTE_NAMES.index("hair_length")
    face = pairs.faces - 1
    for strength, side in ((t, pairs.up), (-t, pairs.down)):
        x, y = _renders(generator, pairs.before[face:]), _renders(generator, side[face:])
        change = float(judge.predict(y)[0, hair_column] - judge.predict(x)[0, hair_column])
        assert recorded[f"{strength:g}"] == pytest.approx(change, abs=1e-3)
    assert recorded[f"{t:g}"] != pytest.approx(pairs.record["made_by"]["amount"], abs=0.01)
    # toyfaces evaluate grades the preset again from the recorded amounts (the pairs are
    # not shipped): between them, in proportion to the nearest strength on the same side.
    measured = tmp_path / "e.json"
    again = CliRunner().invoke(cli, ["toyfaces", "evaluate", str(out), "--direction", str(hair["direction"]),
                                     "--strength", "0.2", "--images", "4", "--device", "cpu",
                                     "--json", str(measured)])
    assert again.exit_code == 0, again.output
    half = f"{t / 2:g}"
    expected = recorded[half] * 0.2 / float(half)
    assert json.loads(measured.read_text())["truth_amounts"] == {"0.2": pytest.approx(expected)}


def test_author_refuses_pairs_the_direction_was_not_found_with(found: dict, tmp_path: Path) -> None:
    pairs = load_latent_pairs(found["pairs"])
    other = tmp_path / "other.npz"
    write_latent_pairs(other, pairs.before, pairs.up, pairs.before, dict(pairs.record))
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    for path, message in ((other, "not the pairs the direction was found with"),
                          (tmp_path / "missing.npz", "cannot read"), (fifo, "not a regular file")):
        result = finishes(lambda: CliRunner().invoke(cli, [
            "author", "glasses", "--direction", str(found["direction"]), "--latent-pairs", str(path),
            "--steps", "1", "--device", "cpu", "-o", str(tmp_path / "out")]), fifo=fifo)
        assert result.exit_code != 0 and message in result.output and str(path) in result.output


def _with_regions(found: dict, path: Path, up: np.ndarray, down: np.ndarray) -> Path:
    """The fixture's pairs written again with each face's regions ``up`` and ``down``."""
    pairs = load_latent_pairs(found["pairs"])
    write_latent_pairs(path, pairs.before, pairs.up, pairs.down, dict(pairs.record), (up, down))
    return path


def test_each_faces_own_region_confines_its_target(found: dict, tmp_path: Path) -> None:
    from latentroom.engine.plugins import resolve_generator

    generator = resolve_generator("toyfaces", "cpu")
    up = np.zeros((40, 128, 128), bool)
    up[:, :, :64] = True  # every face's edit up kept on the left half only
    down = np.zeros_like(up)  # and taking them off nowhere
    pairs = load_latent_pairs(_with_regions(found, tmp_path / "regions.npz", up, down))
    assert pairs.describe()["face_regions"] is True
    ts = pairs.truth_strength
    direction = Direction.load(found["direction"])
    sampler = PairSampler(generator, direction, (-ts, ts), pairs=pairs)
    x, y, _ = sampler.batch(12, 0, TRAIN, strength=ts)
    ups = _renders(generator, pairs.up)[_which(x, _renders(generator, pairs.before))]
    assert torch.allclose(y[..., :64], ups[..., :64], atol=1e-4)
    assert torch.equal(y[..., 64:], x[..., 64:])
    assert not torch.allclose(y[..., :64], x[..., :64], atol=0.05)  # some face was put glasses on
    x, y, _ = sampler.batch(12, 1, TRAIN, strength=-ts)
    assert torch.equal(x, y)


@pytest.mark.parametrize("regions, message", [
    (lambda up: (up.astype(np.uint8), up), "'region_up' is uint8, not a bool array"),
    (lambda up: (up, up[:, :, :64]), "'region_down' has shape"),
    (lambda up: (up[:39], up[:39]), "regions for 39 faces, latents for 40"),
])
def test_damaged_face_regions_are_refused_naming_the_file(found: dict, tmp_path: Path, regions,
                                                          message: str) -> None:
    pairs = load_latent_pairs(found["pairs"])
    bad = tmp_path / "bad.npz"
    up, down = regions(np.ones((40, 128, 128), bool))
    np.savez(bad, before=pairs.before, up=pairs.up, down=pairs.down, region_up=up, region_down=down,
             record=np.array(json.dumps(pairs.record)))
    with pytest.raises(DistillError, match=message) as raised:
        load_latent_pairs(bad)
    assert str(bad) in str(raised.value)
    np.savez(bad, before=pairs.before, up=pairs.up, down=pairs.down, region_up=up,
             record=np.array(json.dumps(pairs.record)))
    with pytest.raises(DistillError, match="optionally region_up and region_down"):
        load_latent_pairs(bad)


def test_face_regions_must_be_the_generators_size(found: dict, tmp_path: Path) -> None:
    from latentroom.engine.plugins import resolve_generator

    small = np.ones((40, 64, 64), bool)
    pairs = load_latent_pairs(_with_regions(found, tmp_path / "small.npz", small, small))
    with pytest.raises(DistillError, match="regions are 64x64 px, the generator draws 128x128") as raised:
        pairs.check_fits(resolve_generator("toyfaces", "cpu"), Direction.load(found["direction"]))
    assert str(tmp_path / "small.npz") in str(raised.value)


def test_the_sampler_keeps_each_inputs_mouth_in_its_target(found: dict) -> None:
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.distill.mouth import MouthFinder, keep_mouth
    from latentroom.plugins.toyfaces.aligner import ToyfacesAligner

    generator = resolve_generator("toyfaces", "cpu")
    direction, pairs = Direction.load(found["direction"]), load_latent_pairs(found["pairs"])
    finder = MouthFinder(ToyfacesAligner(), "toyfaces", threads=2)
    for faces in (pairs, None):  # each face of a pairs file; sampled latents
        plain = PairSampler(generator, direction, (0.5, 1.0), pairs=faces)
        kept = PairSampler(generator, direction, (0.5, 1.0), pairs=faces, mouth=finder)
        x, y, _ = plain.batch(6, 0, TRAIN)
        x_kept, y_kept, _ = kept.batch(6, 0, TRAIN)
        assert torch.equal(x, x_kept) and not torch.equal(y, y_kept)
        assert torch.equal(y_kept, keep_mouth(x, y, finder.corners(x)))
    # A pairs file's faces are all looked up before training: batches then look up none.
    finder = MouthFinder(ToyfacesAligner(), "toyfaces", threads=2)
    kept = PairSampler(generator, direction, (0.5, 1.0), pairs=pairs, mouth=finder)
    kept.find_mouths(batch_size=16)
    assert finder.looked == pairs.faces == 40
    kept.batch(6, 1, TRAIN)
    kept.batch(6, 0, HELD_OUT)
    assert finder.looked == 40


def test_author_keeps_the_mouth_with_the_templates_aligner_and_records_it(found: dict, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    base = ["author", "glasses", "--direction", str(found["direction"]), "--latent-pairs", str(found["pairs"]),
            "--keep-mouth", "--steps", "2", "--batch-size", "2", "--widths", "4,8", "--eval-images", "4",
            "--held-out-pairs", "4", "--inverter", "none", "--variants", "none", "--device", "cpu"]
    refused = CliRunner().invoke(cli, base + ["--alignment", "none", "-o", str(tmp_path / "bare")])
    assert refused.exit_code != 0 and "--keep-mouth finds the input's mouth" in refused.output
    assert not (tmp_path / "bare").exists()
    out = tmp_path / "kept"
    paused = CliRunner().invoke(cli, base + ["--time-limit", "0", "-o", str(out)], catch_exceptions=False)
    assert paused.exit_code == 0 and "paused" in paused.output, paused.output
    assert "the input's mouth kept (aligner toyfaces)" in paused.output
    assert "keep-mouth: found the mouths of the 40 faces in" in paused.output
    # A run saved with the mouth kept resumes only with it.
    plain = [arg for arg in base if arg != "--keep-mouth"]
    refused = CliRunner().invoke(cli, plain + ["--resume", "-o", str(out)])
    assert refused.exit_code == 1 and "keep_mouth: saved {'aligner': 'toyfaces'}, now None" in refused.output
    result = CliRunner().invoke(cli, base + ["--resume", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "the toyfaces aligner found no face on 0 of the 40 inputs" in result.output
    assert json.loads((out / "preset.json").read_text())["x-distill"]["keep_mouth"] == {"aligner": "toyfaces"}
    # The time budget counts the mouths found before training (worker processes take
    # more than half a second to start): a caller's time box holds with them.
    budgeted = CliRunner().invoke(cli, base + ["--time-budget", "0.5", "-o", str(tmp_path / "budgeted")],
                                  catch_exceptions=False)
    assert budgeted.exit_code == 0 and "time budget spent: finishing at step 0/2" in budgeted.output, budgeted.output


def test_a_partial_edit_without_latent_pairs_is_refused(found: dict, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["author", "glasses", "--direction", str(found["direction"]),
                                      "--partial-edit", "latent", "--steps", "1", "--device", "cpu",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code != 0 and "--partial-edit applies to --latent-pairs only" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage, message", [
    (lambda a: a.update(up=a["up"][:3]), "'up' has shape"),
    (lambda a: a["down"].__setitem__((0, 0, 0), np.nan), "NaN or infinite"),
    (lambda a: a.pop("down"), "expected the arrays before, up, down and record"),
    (lambda a: a.update(record=np.array(json.dumps({"format": "other"}))), "not a latentroom-latent-pairs"),
    (lambda a: a.update(before=a["before"].astype(np.int32)), "not a float array"),
    (lambda a: a.update(record=np.array("{not json")), "its record is not JSON"),
    (lambda a: a.update(record=np.array("[" * 5000 + "]" * 5000)), "its record is not JSON .*deeper than 32"),
])
def test_a_damaged_pairs_file_is_refused_naming_it(found: dict, tmp_path: Path, damage, message: str) -> None:
    with np.load(found["pairs"], allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    damage(arrays)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(DistillError, match=message) as raised:
        load_latent_pairs(bad)
    assert str(bad) in str(raised.value)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DistillError, match="not a latent-pairs .npz"):
        load_latent_pairs(tmp_path / "junk.npz")


def test_a_pairs_file_that_unpacks_past_the_limit_is_refused(found: dict, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # Compressed, the zeros take a few kB on disk and many times that unpacked: the
    # bound is on what the arrays unpack to, not only on the file's size.
    import latentroom.plugins.distill.latent_pairs as latent_pairs

    with np.load(found["pairs"], allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    zeros = {name: np.zeros((64, *arrays[name].shape[1:]), np.float32) for name in ("before", "up", "down")}
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, **zeros, record=arrays["record"])
    unpacked = sum(a.nbytes for a in zeros.values())
    assert bomb.stat().st_size * 20 < unpacked
    monkeypatch.setattr(latent_pairs, "MAX_PAIRS_BYTES", unpacked // 2)
    with pytest.raises(DistillError, match="arrays unpack to") as raised:
        load_latent_pairs(bomb)
    assert str(bomb) in str(raised.value)
