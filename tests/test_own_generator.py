"""Bring your own generator: the whole authoring pipeline on a community-format
checkpoint, with no toyfaces part involved.

The checkpoint is written the way a converted community file comes (``{g_ema,
latent_avg}``, no ``config``: the loader infers the architecture), the attribute scorer
is an ONNX model the user points at (``--scorer onnx:MODEL.onnx`` with ``MODEL.json``
naming its columns), and every step runs through the command line: generate,
train-encoder, invert with all three inverters, direction find (with the scorer and
with ``--component``), evaluate, edit, author and apply. Without a scorer the
commands stop at once with an error saying what to pass, instead of scoring with the
toyfaces classifier. Sizes are tiny so it stays CI-fast.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner, Result
from PIL import Image

import latentroom.engine.plugins as plugins
from latentroom.engine.cli import cli
from latentroom.engine.direction import Direction

SIZE = 32


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convolutions, shared machine
    yield
    torch.set_num_threads(threads)


def write_community_checkpoint(path: Path) -> Path:
    """A random 32x32 StyleGAN2 saved as community conversions are: ``g_ema`` and
    ``latent_avg`` only."""
    from latentroom.plugins.stylegan2.model import Generator

    torch.manual_seed(0)
    g = Generator(SIZE, style_dim=32, n_mlp=2, channel_cap=32).eval()
    with torch.no_grad():
        avg = g.style(torch.randn(1000, 32)).mean(0)
    torch.save({"g_ema": g.state_dict(), "latent_avg": avg}, path)
    return path


def write_onnx_attribute_model(path: Path) -> Path:
    """An ONNX attribute model with a fixed 16x16 input (so the generator's 32x32
    images are resized to it): ``brightness`` (mean of the channels) and ``redness``
    (red minus green, halved), with ``MODEL.json`` naming the columns."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = np.array([[1 / 3, 0.5], [1 / 3, -0.5], [1 / 3, 0.0]], np.float32)
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["images", "axes"], ["means"], keepdims=0),
         helper.make_node("MatMul", ["means", "weights"], ["scores"])],
        "attributes",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, 16, 16])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 2])],
        [numpy_helper.from_array(np.array([2, 3], np.int64), "axes"), numpy_helper.from_array(weights, "weights")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    path.write_bytes(model.SerializeToString())
    onnx.checker.check_model(str(path))
    path.with_suffix(".json").write_text(json.dumps(
        {"attributes": ["brightness", "redness"], "ranges": {"brightness": [-1, 1], "redness": [-1, 1]}}))
    return path


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def ok(*args: object) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def fails(*args: object) -> str:
    result = run(*args)
    assert result.exit_code != 0, result.output
    return result.output


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    plugins.reset()
    root = tmp_path_factory.mktemp("own")
    ckpt = write_community_checkpoint(root / "community.pt")
    model = write_onnx_attribute_model(root / "attributes.onnx")
    photos = root / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):  # the user's own pictures: not square, not the generator's size
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(photos / f"photo{i}.png")
    return {"root": root, "spec": f"stylegan2:{ckpt}", "scorer": f"onnx:{model}", "photos": photos}


def test_the_whole_pipeline_on_a_community_checkpoint(world: dict) -> None:
    root, spec, scorer, photos = world["root"], world["spec"], world["scorer"], world["photos"]
    cpu = ("--device", "cpu")

    ok("generate", "--generator", spec, "-n", "4", "-o", root / "grid.png", *cpu)
    assert Image.open(root / "grid.png").size == (2 * SIZE, 2 * SIZE)

    ok("train-encoder", "--generator", spec, "--out", root / "enc", "--seconds", "120", "--max-steps", "2",
       "--batch-size", "4", "--widths", "8,8,16,16,16", "--features", "none", "--log-every", "1", *cpu)
    encoder = root / "enc" / "encoder.pt"
    assert encoder.is_file()

    per_inverter = {"projector": ["-O", "steps=2"], "encoder": ["-O", f"weights={encoder}"],
                    "hybrid": ["-O", f"weights={encoder}", "-O", "steps=2"]}
    for name, options in per_inverter.items():
        features = [] if name == "encoder" else ["-O", "features=none"]
        ok("invert", photos, "--generator", spec, "--inverter", name, *options, *features, "-o", root / f"{name}.npz",
           *cpu)
        with np.load(root / f"{name}.npz") as latents:
            assert latents["photo0.png"].shape == (8, 32)  # W+ of a 32x32 StyleGAN2: 8 layers
            assert json.loads(str(latents["__metadata__"]))["generator"] == spec

    bright = root / "brightness.json"
    ok("direction", "find", "mean-difference", "-a", "brightness", "--generator", spec, "--scorer", scorer,
       "--samples", "16", "--batch-size", "8", "-o", bright, *cpu)
    found = Direction.load(bright)
    assert found.provenance.generator == spec and found.provenance.parameters["scorer"] == scorer

    component = root / "component.json"
    ok("direction", "find", "ganspace", "-a", "pose", "--component", "1", "--generator", spec,
       "--param", "pca_samples=200", "-o", component, *cpu)
    chosen = Direction.load(component)
    assert chosen.provenance.details["component"] == 1 and chosen.provenance.parameters["scorer"] is None

    # The file's generator and scorer are the defaults: no --generator, no --scorer.
    report = json.loads(ok("direction", "evaluate", bright, "--samples", "8", "--json", *cpu))
    assert report["attribute"] == "brightness" and set(report["change"]) == {"brightness", "redness"}

    ok("edit", photos, "--direction", bright, "--strength", "1", "--inverter", "projector", "-O", "steps=1",
       "-O", "features=none", "-o", root / "edited", *cpu)
    assert Image.open(root / "edited" / "photo0.png").size == (SIZE, SIZE)

    preset = root / "bright-preset"
    ok("author", "bright", "--direction", bright, "--scorer", scorer, "--images", photos, "--steps", "2",
       "--batch-size", "2", "--widths", "4,8", "--eval-images", "3", "--held-out-pairs", "4",
       "--variants", "none", "--inverter", "none", "--features", "auto", "-o", preset, *cpu)
    manifest = json.loads((preset / "preset.json").read_text())
    assert manifest["provenance"]["generator"] == spec
    assert manifest["x-distill"]["eval"] | {"inverter_options": {}} == {
        "source": "images", "images": "photos", "scorer": scorer, "inverter": "none", "inverter_options": {}}
    assert manifest["x-distill"]["training"]["features"] == "none"  # auto: this generator names none

    ok("apply", preset, photos / "photo0.png", "-o", root / "applied")
    assert (root / "applied" / "photo0.png").is_file()


def test_author_on_samples_says_so_in_the_manifest(world: dict) -> None:
    root = world["root"]
    red = root / "redness.json"
    ok("direction", "find", "mean-difference", "-a", "redness", "--generator", world["spec"], "--scorer",
       world["scorer"], "--samples", "16", "--batch-size", "8", "-o", red, "--device", "cpu")
    # Generator and scorer: the ones the direction file records.
    ok("author", "red", "--direction", red, "--steps", "1", "--batch-size", "2", "--widths", "4,8",
       "--eval-images", "2", "--held-out-pairs", "4", "--variants", "none", "--inverter", "none",
       "-o", root / "red-preset", "--device", "cpu")
    manifest = json.loads((root / "red-preset" / "preset.json").read_text())
    assert manifest["provenance"]["generator"] == world["spec"]
    assert manifest["x-distill"]["eval"]["source"] == "samples"
    assert manifest["x-distill"]["eval"]["scorer"] == world["scorer"]


def test_no_scorer_is_an_early_error_not_toyfaces_scores(world: dict) -> None:
    spec, root = world["spec"], world["root"]
    message = fails("direction", "find", "mean-difference", "-a", "smile", "--generator", spec,
                    "-o", root / "none.json", "--device", "cpu")
    assert f"generator {spec} names no default scorer: pass --scorer" in message
    assert "onnx:MODEL.onnx" in message
    message = fails("direction", "find", "sefa", "-a", "smile", "--generator", spec, "-o", root / "none.json",
                    "--device", "cpu")
    assert "names no default scorer" in message
    # The toyfaces classifier, named explicitly, does not fit this generator's images.
    message = fails("direction", "find", "mean-difference", "-a", "smile", "--generator", spec,
                    "--scorer", "toyfaces-classifier", "-o", root / "none.json", "--device", "cpu")
    assert "scorer 'toyfaces-classifier' understands toyfaces images only" in message
    # An attribute the scorer does not have fails before any sampling.
    message = fails("direction", "find", "mean-difference", "-a", "smile", "--generator", spec,
                    "--scorer", world["scorer"], "-o", root / "none.json", "--device", "cpu")
    assert "unknown attribute 'smile'" in message and "known: brightness, redness" in message
    # --component belongs to component sources only.
    message = fails("direction", "find", "mean-difference", "-a", "x", "--component", "0", "--generator", spec,
                    "-o", root / "none.json", "--device", "cpu")
    assert "has no parameter component" in message
    assert not (root / "none.json").exists()


def test_author_without_a_scorer_fails_before_training(world: dict) -> None:
    root = world["root"]
    component = root / "unlabelled.json"
    ok("direction", "find", "sefa", "-a", "pose", "--component", "0", "--generator", world["spec"],
       "-o", component, "--device", "cpu")
    out = root / "unlabelled-preset"
    message = fails("author", "pose", "--direction", component, "--steps", "1", "-o", out, "--device", "cpu")
    assert f"generator {world['spec']} names no default scorer: pass --scorer" in message
    assert not (out / ".author-state").exists()  # nothing was trained
    message = fails("author", "pose", "--direction", component, "--steps", "1", "--eval-source", "renders",
                    "-o", out, "--device", "cpu")
    assert "held-out toyfaces renders say nothing about generator" in message


def test_onnx_scorer_files_are_untrusted(world: dict, tmp_path: Path) -> None:
    from latentroom.plugins.directions.scoring import ScorerError, build_scorer

    model = Path(world["scorer"].partition(":")[2])
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(model.read_bytes())
    with pytest.raises(ScorerError, match=r"copy\.json: no such file \(attribute names for copy\.onnx\)"):
        build_scorer(f"onnx:{copy}", "cpu")
    for sidecar, problem in [("[", "not valid JSON"), ('{"attributes": []}', '"attributes" must be a list'),
                             ('{"attributes": ["a", "a"]}', '"attributes" must be a list'),
                             ('{"attributes": ["a"], "binary": ["b"]}', '"binary" must list some'),
                             ('{"attributes": ["a"], "ranges": {"a": [1, 0]}}', '"ranges" must map'),
                             ('{"attributes": ["a"], "ranges": {"a": [NaN, 1]}}', '"ranges" must map'),
                             ('{"attributes": ["a"], "ranges": {"a": [0, 1%s]}}' % ("0" * 5000),
                              "has a number of 5001 characters"),
                             ("[" * 100 + "]" * 100, "nests arrays and objects deeper")]:
        copy.with_suffix(".json").write_text(sidecar)
        with pytest.raises(ScorerError, match=re.escape(f"copy.json: {problem}")):
            build_scorer(f"onnx:{copy}", "cpu")
    # Three names for a model with two columns: caught on the first batch, naming the scorer.
    copy.with_suffix(".json").write_text('{"attributes": ["a", "b", "c"]}')
    scorer = build_scorer(f"onnx:{copy}", "cpu")
    with pytest.raises(ScorerError, match=r"returned shape \[2, 2\], expected \[2, 3\]"):
        scorer(torch.zeros(2, 3, 32, 32))
    copy.write_bytes(b"not a model")
    with pytest.raises(ScorerError, match="copy.onnx: not a well-formed ONNX model"):
        build_scorer(f"onnx:{copy}", "cpu")
