"""The ``text`` scorer: toyfaces-clip's reading of a text labels samples for the
classifier-based direction sources, on the real shipped generator, model and judge."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import latentroom.engine.plugins as plugins
from latentroom.engine.cli import cli
from latentroom.engine.direction import Direction
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.directions.edit import edit_latents
from latentroom.plugins.directions.sampling import sample_w
from latentroom.plugins.directions.scoring import resolve_scorer, score_images
from latentroom.plugins.textimage.text_scorer import TextScorerSpec
from latentroom.plugins.textimage.train_clip import to_tensor
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def toyfaces():
    from latentroom.plugins.toyfaces.generator import load_toyfaces

    return load_toyfaces(None, "cpu")


def invoke(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def refused(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code != 0, result.output
    return result.output


def test_the_scorer_is_registered_by_the_textimage_plugin_and_named_in_help() -> None:
    assert plugins.get_scorer("text").plugin == "textimage"
    assert "text:'NAME=A TEXT'" in " ".join(invoke("direction", "find", "--help").split())


def test_the_argument_names_attributes_sums_texts_and_takes_model_settings() -> None:
    spec = TextScorerSpec.parse("old=an old face; a smiling face ;both=an old face + a smiling face;"
                                "neutral=a person;model=toyfaces-clip;"
                                "beard=a clean-shaven face -> a face with a beard + a face with glasses")
    assert spec.attributes == {"old": (("an old face", None),), "a smiling face": (("a smiling face", None),),
                               "both": (("an old face", None), ("a smiling face", None)),
                               "beard": (("a face with a beard", "a clean-shaven face"), ("a face with glasses", None))}
    assert (spec.neutral, spec.settings["model"]) == ("a person", "toyfaces-clip")
    for argument, message in ((None, "give the text"), (" ; ", "give the text"), ("=an old face", "name before"),
                              ("old=an old face;old=a grey face", "'old' is given twice"),
                              ("both=an old face + ", "'both' has an empty text"), ("neutral=", "needs a value"),
                              ("old=-> an old face", "'old' has an empty text"),
                              ("old=a face -> a young face -> an old face", "one '->' per text")):
        with pytest.raises(LatentroomError, match=message):
            TextScorerSpec.parse(argument)


def test_renders_with_glasses_score_above_the_same_faces_without(toyfaces) -> None:
    """Renderer truth: the same 48 faces rendered with and without glasses."""
    scorer = resolve_scorer("text:glasses=a face wearing glasses;old=an old face;"
                            "both=a face wearing glasses + an old face;"
                            "opposite=a face without glasses -> a face wearing glasses", "cpu", toyfaces, "toyfaces",
                            ["glasses"])
    params = sample_params(21, 48)
    with_glasses = score_images(scorer, to_tensor(render(edit(params, "glasses", 1.0)), "cpu"))
    without = score_images(scorer, to_tensor(render(edit(params, "glasses", -1.0)), "cpu"))
    for column in ("glasses", "opposite"):
        assert (with_glasses[column] > without[column]).mean() >= 0.95
    np.testing.assert_allclose(with_glasses["both"], with_glasses["glasses"] + with_glasses["old"], atol=1e-5)

    # The score is cos(image, text) - cos(image, neutral), computed here from the model;
    # a text's own neutral (FROM -> TO) replaces "a face".
    images = to_tensor(render(edit(params, "glasses", 1.0))[:4], "cpu")
    texts = ["a face wearing glasses", "a face", "a face without glasses"]
    with torch.no_grad():
        cosines = (scorer.model.encode_images(images) @ scorer.model.encode_texts(texts).T).numpy()
    np.testing.assert_allclose(with_glasses["glasses"][:4], cosines[:, 0] - cosines[:, 1], atol=1e-5)
    np.testing.assert_allclose(with_glasses["opposite"][:4], cosines[:, 0] - cosines[:, 2], atol=1e-5)


def test_a_text_scored_direction_ages_fresh_faces_for_the_judge(toyfaces, tmp_path: Path) -> None:
    from latentroom.plugins.toyfaces.classifier import load as load_network

    meta = json.loads(invoke("direction", "find", "linear-boundary", "-a", "old", "--scorer", "text:old=an old face",
                             "--samples", 96, "--device", "cpu", "-o", tmp_path / "old.json", "--json"))
    assert meta["provenance"]["parameters"]["scorer"] == "text:old=an old face"
    direction = Direction.load(tmp_path / "old.json")
    judge = load_network("cpu", arch="judge")
    fresh = sample_w(toyfaces, 24, seed=4242)  # not the seed the direction was found on
    with torch.no_grad():
        older, younger = (judge.predict(toyfaces.synthesis(edit_latents(fresh, direction, s)).float())
                          for s in (2.0, -2.0))
    age = ATTRIBUTE_NAMES.index("age")
    assert (older[:, age] - younger[:, age]).mean() > 0.25  # measured +0.52


def test_bad_scorer_arguments_end_before_sampling(tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    find = ["direction", "find", "mean-difference", "-a", "old", "--samples", 8, "--device", "cpu",
            "-o", tmp_path / "x.json"]
    assert "give the text to score images against" in refused(*find, "--scorer", "text")
    assert "unknown text-image model 'nope'" in refused(*find, "--scorer", "text:old=an old face;model=nope")
    assert "does not know the word(s) 'moustache'" in refused(*find, "--scorer", "text:old=a face with a moustache")
    assert "unknown attribute 'old' for scorer text:young=a young face" in refused(
        *find, "--scorer", "text:young=a young face")
    # A generator naming no text-image model of its own needs one named: no silent toyfaces-clip.
    ckpt = save_checkpoint(tmp_path / "g.pt", tiny_stylegan2(size=16))
    output = refused(*find, "--generator", f"stylegan2:{ckpt}", "--scorer", "text:old=an old face")
    assert "names no text-image model of its own: pass --scorer 'text:...;model=NAME'" in output
    assert not (tmp_path / "x.json").exists()


def test_author_rebuilds_the_recorded_text_scorer(tmp_path: Path) -> None:
    from latentroom.plugins.directions.testing import tiny_stylegan2
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint

    ckpt = save_checkpoint(tmp_path / "g.pt", tiny_stylegan2(size=32))
    spec, scorer = f"stylegan2:{ckpt}", "text:white=a face with white hair;model=toyfaces-clip"
    invoke("direction", "find", "mean-difference", "-a", "white", "--generator", spec, "--scorer", scorer,
           "--samples", 16, "--layers", "0-3", "--device", "cpu", "-o", tmp_path / "white.json")
    out = tmp_path / "white-preset"
    # No --scorer: author takes the one recorded in the direction file.
    invoke("author", "white-hair", "--direction", tmp_path / "white.json", "--generator", spec,
           "--strength-range", "-2,2", "--steps", "4", "--batch-size", "2", "--seed", "1",
           "--widths", "8,16,16", "--eval-images", "4", "--held-out-pairs", "4",
           "--inverter", "projector", "-O", "steps=2", "-O", "features=none", "--log-every", "2",
           "--author", "A. Tester", "--license", "CC-BY-4.0", "--title", "White hair (text scorer)", "-o", out)
    invoke("preset", "validate", out)
    manifest = (out / "preset.json").read_text()
    assert json.loads(manifest)["provenance"]["direction_source"] == "mean-difference"
    assert scorer in manifest
