"""The toyfaces ``inverted-truth`` direction source: the renderer's true edit read
through the shipped encoder, registered like any other source."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from latentroom.engine import hookimpl, plugins
from latentroom.engine.cli import cli
from latentroom.engine.direction import Direction
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.toyfaces.truth_direction import true_edit_renders

SHIPPED = Path(__file__).parents[1] / "plugins/directions/shipped"


def find_inverted_truth(attribute: str, layers: str, samples: int, out: Path, *params: str,
                        options: tuple[str, ...] = ()) -> Result:
    """``direction find inverted-truth`` on the CPU, each of ``params`` a ``--param``
    setting, ``options`` more command-line options."""
    extra = [arg for param in params for arg in ("--param", param)]
    return CliRunner().invoke(cli, ["direction", "find", "inverted-truth", "-a", attribute, "--layers", layers,
                                    "--samples", str(samples), *extra, *options, "--device", "cpu", "-o", str(out)])


def test_true_edit_renders_put_glasses_only_on_faces_without_them() -> None:
    before, after = true_edit_renders("glasses", 40, 0, 0.35, 64)
    assert 0 < len(before) < 40 and before.shape == after.shape == (len(before), 64, 64, 3)
    assert (np.abs(before.astype(int) - after).reshape(len(before), -1).max(1) > 40).all()  # every face changed


def test_found_from_the_truth_agrees_with_the_classifier_boundary(tmp_path: Path) -> None:
    out = tmp_path / "glasses-truth.json"
    result = find_inverted_truth("glasses", "coarse", 96, out)
    assert result.exit_code == 0, result.output
    found, shipped = Direction.load(out), Direction.load(SHIPPED / "glasses.json")
    assert found.layers == (0, 1, 2, 3) and found.provenance.source == "inverted-truth"
    details = json.loads(out.read_text())["provenance"]["details"]
    assert len(details["offset_norm_per_layer"]) == 12 and details["truth_strength"] > 0
    # Faces put on glasses the same way: the offsets agree far beyond chance (~0.06 in 256-d).
    assert min(details["consistency_per_layer"][:4]) > 0.5
    assert float(found.vector @ shipped.vector) > 0.3
    assert "inverted-truth" in plugins.registry().direction_sources


def found_corrected_glasses(out: Path, samples: int, components: int, *params: str) -> Direction:
    """``direction find inverted-truth`` for glasses on the coarse layers with a
    correction (and more ``--param`` settings)."""
    result = find_inverted_truth("glasses", "coarse", samples, out, f"correction={components}", *params)
    assert result.exit_code == 0, result.output
    return Direction.load(out)


def test_inverted_truth_fits_a_per_face_correction_on_request(tmp_path: Path) -> None:
    # Glasses are drawn round each face's own eyes, so the true offset varies with the
    # face; the correction predicts part of that from the input latent (R² on held-out
    # faces, measured 0.49 here with 68 faces, 0.74-0.85 with 1,316 through the encoder).
    out = tmp_path / "glasses-corrected.json"
    found = found_corrected_glasses(out, 96, 8)
    assert found.correction is not None and found.correction.components == 8
    assert found.correction.layer_count == 4 and found.correction.truth_strength > 0
    assert found.correction.reads == "encoder"  # its inputs were the encoder's latents
    assert found.correction.two_sided and found.provenance.details["correction"]["down"]["held_out_r2"]
    report = found.provenance.details["correction"]
    assert report["examples"] > 40 and max(report["held_out_r2"].values()) > 0.3
    shown = CliRunner().invoke(cli, ["direction", "show", str(out)])
    assert "per face, 8 components, a side per sign of the strength" in shown.output
    assert "reads faces through encoder (glasses-corrected.correction.npz)" in shown.output
    refused = find_inverted_truth("glasses", "coarse", 16, tmp_path / "x.json", "correction=4",
                                  options=("--condition-on", "eye_size"))
    assert refused.exit_code != 0 and "a correction is fitted around the unconditioned mean offset" in refused.output


class ShiftedEncoder:
    """A plugin's inverter: the encoder's reading moved by ``shift`` in every dimension."""

    def __init__(self, generator: object, device: object, shift: float = 0.25) -> None:
        from latentroom.engine.plugins import get_inverter

        self.encoder = get_inverter("encoder").value(generator, device)
        self.shift = shift

    def invert(self, images):
        return self.encoder.invert(images) + self.shift


class ShiftedPlugin:
    @hookimpl
    def register_inverters(self, register):
        register("encoder-shifted", ShiftedEncoder)


def test_a_correction_reads_faces_through_the_inverter_it_is_told_to(tmp_path: Path) -> None:
    # The hybrid reads the true smile change closely but too slowly for author, which
    # reads every training sample: the offsets come through the hybrid and the
    # correction reads faces through the encoder (session 19). Here the offsets come
    # through the encoder and the correction reads through a plugin's shifted encoder:
    # the direction is unchanged, and the correction predicts from the shifted reading
    # exactly what the plain one predicts from the encoder's.
    import torch

    from latentroom.plugins.directions.edit import correction_residual

    plugins.register_plugin(ShiftedPlugin(), name="shifted")
    try:
        plain = found_corrected_glasses(tmp_path / "plain.json", 48, 4)
        shifted = found_corrected_glasses(tmp_path / "shifted.json", 48, 4, "correction_reads=encoder-shifted")
        refused = find_inverted_truth("glasses", "coarse", 16, tmp_path / "x.json", "correction_reads=encoder")
    finally:
        plugins.reset()
    assert np.array_equal(plain.vector, shifted.vector)
    assert (plain.correction.reads, shifted.correction.reads) == ("encoder", "encoder-shifted")
    assert np.allclose(shifted.correction.mean, plain.correction.mean + 0.25, atol=1e-5)
    mean = plain.correction.mean
    w = torch.from_numpy(mean[None] + np.random.default_rng(0).normal(0, 0.5, (6, len(mean))))
    for negative in (False, True):
        expected = correction_residual(plain.correction, w, negative)
        assert torch.allclose(correction_residual(shifted.correction, w + 0.25, negative), expected, atol=1e-3)
        assert expected.abs().mean() > 0.01
    assert refused.exit_code != 0 and "correction_reads names the inverter" in refused.output


def test_inverter_options_reach_the_inverter_that_reads_the_faces(tmp_path: Path) -> None:
    # inverter_options={"steps": 96} would give the hybrid a closer reading of the true
    # edits; here a plugin's option moves its reading, and the pairs written beside the
    # direction are that reading (the offsets, their differences, stay the same).
    from latentroom.plugins.distill.latent_pairs import load_latent_pairs

    def find(name: str, *params: str) -> tuple[Direction, object]:
        result = find_inverted_truth("glasses", "all", 24, tmp_path / f"{name}.json", f"pairs={tmp_path / name}.npz",
                                     *params)
        assert result.exit_code == 0, result.output
        return Direction.load(tmp_path / f"{name}.json"), load_latent_pairs(tmp_path / f"{name}.npz")

    def refusal(*params: str) -> str:
        result = find_inverted_truth("glasses", "all", 16, tmp_path / "x.json", *params)
        assert result.exit_code != 0
        return result.output

    plugins.register_plugin(ShiftedPlugin(), name="shifted")
    try:
        plain, plain_pairs = find("plain", "inverter=encoder-shifted")
        moved, moved_pairs = find("moved", "inverter=encoder-shifted", 'inverter_options={"shift": 1.5}')
        refusals = [refusal("inverter=encoder-shifted", 'inverter_options={"shift": 1.5}', "correction=4"),
                    refusal("inverter_options=96"), refusal('inverter_options={"stepz": 3}')]
    finally:
        plugins.reset()
    assert np.allclose(moved_pairs.before, plain_pairs.before + 1.25, atol=1e-5)
    assert np.allclose(moved_pairs.up - moved_pairs.before, plain_pairs.up - plain_pairs.before, atol=1e-4)
    assert np.allclose(moved.vector, plain.vector, atol=1e-4)
    assert moved.provenance.parameters["inverter_options"] == {"shift": 1.5}
    assert moved_pairs.record["made_by"]["inverter_options"] == {"shift": 1.5}
    assert "pass correction_reads=NAME" in refusals[0]
    assert "inverter_options must be a JSON object" in refusals[1]
    assert "stepz" in refusals[2]


def test_unread_pairs_are_dropped_on_request(tmp_path: Path) -> None:
    # The toyfaces generator hardly draws a beard on long hair, so the encoder reads
    # such a face's true edit as the face unchanged; with pairs_unread=drop those faces
    # leave the pairs, checked here with the scorer on the kept file's own latents.
    import torch

    from latentroom.engine.plugins import get_scorer, resolve_generator
    from latentroom.plugins.directions.sampling import render_and_score
    from latentroom.plugins.distill.latent_pairs import load_latent_pairs

    def find(name: str, *params: str) -> Result:
        return find_inverted_truth("beard", "all", 48, tmp_path / f"{name}.json", *params)

    for name, unread in (("kept", "keep"), ("dropped", "drop")):
        result = find(name, f"pairs={tmp_path / name}.npz", f"pairs_unread={unread}")
        assert result.exit_code == 0, result.output
    kept, dropped = load_latent_pairs(tmp_path / "kept.npz"), load_latent_pairs(tmp_path / "dropped.npz")
    generator, scorer = resolve_generator("toyfaces", "cpu"), get_scorer("toyfaces-classifier").value(None)

    def beard(latents: np.ndarray) -> np.ndarray:
        return render_and_score(generator, scorer, torch.from_numpy(latents))["beard"] >= 0.5

    put_on = (kept.up != kept.before).any((1, 2))
    taken_off = (kept.down != kept.before).any((1, 2))
    unread = (put_on & ~beard(kept.up)) | (taken_off & beard(kept.down))
    assert 0 < unread.sum() < len(unread) // 2
    for side in ("before", "up", "down"):
        assert np.array_equal(getattr(dropped, side), getattr(kept, side)[~unread])
    assert dropped.record["made_by"]["unread_dropped"] == int(unread.sum())
    details = json.loads((tmp_path / "dropped.json").read_text())["provenance"]["details"]
    assert details["pairs_unread_dropped"] == int(unread.sum())
    kept_direction, dropped_direction = (Direction.load(tmp_path / f"{name}.json") for name in ("kept", "dropped"))
    assert np.array_equal(dropped_direction.vector, kept_direction.vector)

    assert "'keep' or 'drop'" in find("x", f"pairs={tmp_path}/x.npz", "pairs_unread=some").output
    assert "pass pairs=FILE and a binary attribute" in find("y", "pairs_unread=drop").output


def test_misread_pairs_are_dropped_on_request(tmp_path: Path) -> None:
    # A face whose read beard, as the generator draws it, is not its true beard (another
    # size or place, a faint one) teaches a student another edit; pairs_misread=L drops
    # every face whose drawn edit is more than L levels from its true edit on average
    # over the pixels the truth changes. Measured here on the kept file's own latents.
    import torch

    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.distill.latent_pairs import load_latent_pairs
    from latentroom.plugins.toyfaces.truth_direction import true_edit_sides

    def find(name: str, *params: str) -> Result:
        return find_inverted_truth("beard", "all", 48, tmp_path / f"{name}.json", *params)

    assert find("kept", f"pairs={tmp_path}/kept.npz").exit_code == 0
    kept = load_latent_pairs(tmp_path / "kept.npz")
    generator = resolve_generator("toyfaces", "cpu")
    before, up, down, _ = true_edit_sides("beard", 48, 0, 0.35, 128)

    def drawn(latents: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            images = generator.synthesis(torch.from_numpy(latents), noise_mode="const").clamp(-1, 1)
        return ((images + 1) * 127.5).round().permute(0, 2, 3, 1).numpy()

    by_side = np.full((2, 48), np.nan)  # up, down; nan where the truth left the face alone
    for side, (latents, after) in enumerate(((kept.up, up), (kept.down, down))):
        for face in np.flatnonzero((after != before).any((1, 2, 3))):
            true_change = after[face].astype(float) - before[face]
            read_change = drawn(latents[face:face + 1])[0] - drawn(kept.before[face:face + 1])[0]
            pixels = np.abs(true_change).max(-1) > 8
            by_side[side, face] = np.abs(read_change - true_change)[pixels].mean()
    misread = np.nanmax(by_side, 0)
    ranked = np.sort(misread)
    levels = float((ranked[35] + ranked[36]) / 2)  # between two faces: the 12 worst go
    faithful = misread <= levels
    assert (~faithful).sum() == 12 and ranked[0] > 0  # every face changes on one side

    result = find("dropped", f"pairs={tmp_path}/dropped.npz", f"pairs_misread={levels}")
    assert result.exit_code == 0, result.output
    dropped = load_latent_pairs(tmp_path / "dropped.npz")
    for side in ("before", "up", "down"):
        assert np.array_equal(getattr(dropped, side), getattr(kept, side)[faithful])
    assert dropped.record["made_by"]["misread_dropped"] == int((~faithful).sum())
    assert dropped.record["made_by"]["pairs_misread"] == levels
    details = json.loads((tmp_path / "dropped.json").read_text())["provenance"]["details"]
    assert details["pairs_misread_dropped"] == int((~faithful).sum())
    assert details["pairs_misread_quartiles"][1] == pytest.approx(np.median(misread), abs=0.01)
    kept_direction, dropped_direction = (Direction.load(tmp_path / f"{name}.json") for name in ("kept", "dropped"))
    assert np.array_equal(dropped_direction.vector, kept_direction.vector)

    # pairs_misread_side=up checks only the edit that puts the beard on: the bearded faces,
    # which teach taking it off, all stay, however their removal was read.
    result = find("up", f"pairs={tmp_path}/up.npz", f"pairs_misread={levels}", "pairs_misread_side=up")
    assert result.exit_code == 0, result.output
    faithful_up = ~(by_side[0] > levels)
    assert (faithful_up & ~faithful).any() and (~faithful_up).any()
    assert np.array_equal(load_latent_pairs(tmp_path / "up.npz").before, kept.before[faithful_up])
    details = json.loads((tmp_path / "up.json").read_text())["provenance"]["details"]
    assert details["pairs_misread_dropped"] == int((~faithful_up).sum())
    assert details["pairs_misread_quartiles"][1] == pytest.approx(np.nanmedian(by_side[0]), abs=0.01)
    assert load_latent_pairs(tmp_path / "up.npz").record["made_by"]["pairs_misread_side"] == "up"

    assert "one of either, up, down" in find("s", f"pairs={tmp_path}/s.npz", "pairs_misread=10",
                                              "pairs_misread_side=off").output
    assert "pass pairs_misread=L too" in find("s", f"pairs={tmp_path}/s.npz", "pairs_misread_side=up").output
    assert "a number of levels of 255" in find("x", f"pairs={tmp_path}/x.npz", "pairs_misread=-1").output
    assert "a number of levels of 255" in find("x", f"pairs={tmp_path}/x.npz", "pairs_misread=some").output
    assert "pass pairs=FILE too" in find("y", "pairs_misread=10").output
    assert "no face is left" in find("z", f"pairs={tmp_path}/z.npz", "pairs_misread=0.01").output
    assert not (tmp_path / "z.npz").exists()


def test_teacher_pairs_read_each_sample_through_the_corrections_inverter(tmp_path: Path) -> None:
    # A correction fitted on the encoder's latents predicts each face's residual from
    # the encoder's reading of the sample x = G(w), not from w (a different part of W).
    import dataclasses

    import torch

    from latentroom.engine.plugins import get_inverter, resolve_generator
    from latentroom.plugins.directions.edit import edit_latents, to_wplus
    from latentroom.plugins.distill.pairs import DEFAULT_TRUNCATION, TRAIN, PairSampler

    found = found_corrected_glasses(tmp_path / "glasses.json", 48, 4)
    g = resolve_generator("toyfaces", "cpu")
    x, y, s = PairSampler(g, found, (2.0, 2.0), seed=5).batch(3, 0)
    z = torch.randn(3, g.style_dim, generator=PairSampler(g, found, (2.0, 2.0), seed=5)._rng(TRAIN, 0))
    with torch.no_grad():
        ws = to_wplus(g.mapping(z, truncation=DEFAULT_TRUNCATION).float(), g.n_latent)
        assert torch.allclose(x, g.synthesis(ws, noise_mode="const").clamp(-1, 1), atol=1e-5)
        read = get_inverter("encoder").value(g, "cpu").invert(x)
        expected = g.synthesis(edit_latents(ws, found, s, read), noise_mode="const").clamp(-1, 1)
    assert torch.allclose(y, expected, atol=1e-4)
    unread = dataclasses.replace(found, correction=dataclasses.replace(found.correction, reads=None))
    _, y_unread, _ = PairSampler(g, unread, (2.0, 2.0), seed=5).batch(3, 0)
    assert (y - y_unread).abs().mean() > 1e-3


def test_a_two_sided_correction_keeps_glasses_on_a_positive_edit_and_takes_them_off_a_negative_one(
        tmp_path: Path) -> None:
    # Fitted on faces without glasses only, a correction took them off faces that wore
    # them at +2 (the judge 1.00 -> 0.26 through the generator path) and, mirrored,
    # could not take them off at -2 (session 17). Each side fitted on every face
    # against its own truth does both.
    from latentroom.engine.plugins import get_inverter, resolve_generator
    from latentroom.plugins.toyfaces import classifier as classifiers
    from latentroom.plugins.toyfaces.evaluate_preset import generator_path_edit
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params

    found = found_corrected_glasses(tmp_path / "glasses.json", 300, 16)
    g = resolve_generator("toyfaces", "cpu")
    edit = generator_path_edit(g, get_inverter("encoder").value(g, "cpu"), found, 32)
    judge, column = classifiers.load("cpu", arch="judge"), ATTRIBUTE_NAMES.index("glasses")
    params = sample_params(60123, 80)
    for wearing, up, down in ((True, 1.0, 0.0), (False, 1.0, 0.0)):
        chosen = (params["glasses"] > 0.5) == wearing
        pixels = render({k: v[chosen][:16] for k, v in params.items()}, g.size)
        assert abs(judge.predict(edit(pixels, 2.0))[:, column].mean() - up) < 0.15
        assert abs(judge.predict(edit(pixels, -2.0))[:, column].mean() - down) < 0.15


def test_inverted_truth_needs_a_toyfaces_attribute_and_layers() -> None:
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.toyfaces.truth_direction import InvertedTruth

    g = resolve_generator("toyfaces", "cpu")
    with pytest.raises(LatentroomError, match="give the layers"):
        InvertedTruth().find(g, "glasses", layers="auto", samples=8)
    with pytest.raises(LatentroomError, match="not a toyfaces attribute"):
        InvertedTruth().find(g, "freckles", layers="coarse", samples=8)


def test_inverted_truth_conditioned_by_response_keeps_the_named_attribute() -> None:
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.directions.scoring import ScorerError, build_scorer
    from latentroom.plugins.toyfaces.truth_direction import InvertedTruth

    g = resolve_generator("toyfaces", "cpu")
    scorer = build_scorer("toyfaces-classifier", "cpu")
    found = InvertedTruth().find(g, "glasses", layers="coarse", samples=16, scorer=scorer, condition_on=["eye_size"])
    record = found.provenance.details["conditioned_on"]["eye_size"]
    # The direction the generator's eye size responds to fastest is projected out.
    assert abs(record["cosine_before"]) > 1e-3 and abs(record["cosine_after"]) < 1e-6
    assert found.provenance.parameters["condition_on"] == ["eye_size"]
    with pytest.raises(ScorerError, match="needs an attribute scorer"):
        InvertedTruth().find(g, "glasses", layers="coarse", samples=8, condition_on=["eye_size"])
    with pytest.raises(LatentroomError, match="response only"):
        InvertedTruth().find(g, "glasses", layers="coarse", samples=8, scorer=scorer, condition_on=["eye_size"],
                             condition_by="boundary")


def _grown(moved: np.ndarray, grow: int) -> np.ndarray:
    """``moved`` ``[N, R, R]`` grown by ``grow`` pixels in every direction, shift by shift."""
    padded = np.pad(moved, ((0, 0), (grow, grow), (grow, grow)))
    size = moved.shape[1]
    return np.any([padded[:, grow + dy:grow + dy + size, grow + dx:grow + dx + size]
                   for dy in range(-grow, grow + 1) for dx in range(-grow, grow + 1)], axis=0)


def test_each_kept_faces_region_is_where_its_true_edit_moves(tmp_path: Path) -> None:
    # pairs_regions writes, for every face the pairs keep, the pixels each of its true
    # edits moves, grown; author then keeps each target's edit there alone.
    from latentroom.plugins.distill.latent_pairs import load_latent_pairs
    from latentroom.plugins.toyfaces.truth_direction import true_edit_sides

    def find(name: str, *params: str) -> Result:
        return find_inverted_truth("beard", "all", 32, tmp_path / f"{name}.json", f"pairs={tmp_path / name}.npz",
                                   *params)

    assert find("plain").exit_code == 0
    result = find("regions", "pairs_unread=drop", "pairs_regions=true", "pairs_region_grow=2")
    assert result.exit_code == 0, result.output
    plain, regions = load_latent_pairs(tmp_path / "plain.npz"), load_latent_pairs(tmp_path / "regions.npz")
    assert plain.regions is None and not plain.record["made_by"]["pairs_regions"]
    assert regions.record["made_by"]["pairs_regions"] and regions.record["made_by"]["pairs_region_grow"] == 2
    kept = [int(np.flatnonzero((plain.before == face).all((1, 2)))[0]) for face in regions.before]
    assert 0 < len(kept) < 32  # the unread faces left, and their regions with them
    assert np.array_equal(regions.up, plain.up[kept]) and np.array_equal(regions.down, plain.down[kept])
    before, up, down, lacked = true_edit_sides("beard", 32, 0, 0.35, 128)
    for region, after in zip(regions.regions, (up, down)):
        moved = np.abs(after[kept].astype(int) - before[kept]).max(-1) > 8
        assert region.shape == (len(kept), 128, 128)
        assert np.array_equal(region, _grown(moved, 2))
    # A face its edit leaves alone has no region on that side: a bearded face's up side.
    assert not regions.regions[0][~lacked[kept]].any() and regions.regions[0][lacked[kept]].any(axis=(1, 2)).all()

    out = tmp_path / "beard"
    authored = CliRunner().invoke(cli, [
        "author", "beard", "--direction", str(tmp_path / "regions.json"), "--latent-pairs",
        str(tmp_path / "regions.npz"), "--steps", "2", "--batch-size", "2", "--widths", "4,8", "--eval-images", "4",
        "--held-out-pairs", "4", "--inverter", "none", "--variants", "none", "--device", "cpu", "-o", str(out)])
    assert authored.exit_code == 0, authored.output
    assert "each in its own region" in authored.output
    assert json.loads((out / "preset.json").read_text())["x-distill"]["latent_pairs"]["face_regions"] is True

    assert "true or false" in find("a", "pairs_regions=1").output
    assert "pass pairs=FILE too" in find_inverted_truth("beard", "all", 32, tmp_path / "b.json",
                                                        "pairs_regions=true").output
    for grow in ("-1", "33", "1.5"):
        assert "a whole number of pixels from 0 to 32" in find("c", "pairs_regions=true",
                                                               f"pairs_region_grow={grow}").output
