"""The plugin system: discovery, selection, error capture, the registry and CLI.

Discovery tests install real plugin distributions (a ``*.dist-info`` directory with
``entry_points.txt`` beside the module) under ``tmp_path`` and run latentroom in a
subprocess with ``PYTHONPATH`` pointing there, so ``importlib.metadata`` finds them
exactly as it finds pip-installed ones. Tests named ``test_hook_<hook>`` exercise
that hook; tests/test_plugin_docs.py checks every hook has one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from importlib.metadata import distribution

import click
import numpy as np
import pytest
from click.testing import CliRunner

import latentroom.engine.plugins as plugins
from latentroom.engine import hookimpl
from latentroom.engine.errors import LatentroomError, PluginLoadError

# The built-ins as the installed distribution declares them: adding a built-in
# plugin in setup.cfg needs no edit here.
BUILTINS = ",".join(sorted(ep.name for ep in distribution("latentroom").entry_points if ep.group == "latentroom"))

FAKE_GENERATOR = """
    class FakeGenerator:
        size, style_dim, n_latent, weights_sha256 = 8, 4, 2, None

        def __init__(self, argument, device):
            self.argument, self.device = argument, device

        def mapping(self, z, truncation=1.0): return z
        def mean_latent(self): return None
        def synthesis(self, ws, noise_mode="const"): return ws
"""


def module(*parts: str) -> str:
    """Join module source fragments, each indented its own way."""
    return "".join(textwrap.dedent(part) for part in parts)


def write_dist(
    root: Path, dist: str, modules: dict[str, str], entry_points: dict[str, str], version: str = "1.0"
) -> None:
    """Install a distribution into ``root`` the way pip lays one out: top-level modules
    plus ``<dist>-<version>.dist-info`` with METADATA and entry_points.txt."""
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[latentroom]\n{lines}")


def run_python(root: Path, code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that sees the distributions in ``root``.
    Built-in plugins are disabled unless the caller sets the variable itself, so
    results do not depend on their state."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LATENTROOM_")}
    environ.update({"PYTHONPATH": str(root), "LATENTROOM_DISABLE_PLUGINS": BUILTINS, **env})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=root, env=environ, capture_output=True, text=True, timeout=120,
    )


CLI = "import sys; from latentroom.engine.cli import main; sys.argv[0] = 'latentroom'; main()"


def run_cli(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python(root, CLI, *args, **env)


def plugins_json(root: Path, **env: str) -> dict[str, dict]:
    result = run_cli(root, "plugins", "--all", "--json", **env)
    assert result.returncode == 0, result.stderr
    return {record["name"]: record for record in json.loads(result.stdout)}


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> plugins.Registry:
    """An in-process registry with no entry-point plugins, for register_plugin tests."""
    monkeypatch.setenv("LATENTROOM_LOAD_PLUGINS", "")
    monkeypatch.setenv("LATENTROOM_DISABLE_PLUGINS", BUILTINS)
    plugins.reset()
    yield plugins.registry()
    plugins.reset()


# --- one test per hook ----------------------------------------------------------


def test_hook_register_generators_records_the_plugin(tmp_path: Path) -> None:
    write_dist(tmp_path, "lr-fake", {"fake_plugin": module(FAKE_GENERATOR, """
        from latentroom.engine import hookimpl

        @hookimpl
        def register_generators(register):
            register("fake", FakeGenerator, description="A fake")
    """)}, {"fake": "fake_plugin"}, version="2.5")
    result = run_python(tmp_path, """
        from latentroom.engine.plugins import registry, resolve_generator
        item = registry().generators["fake"]
        generator = resolve_generator("fake:weights.pt:v2", device="meta")
        print(item.plugin, item.description, generator.argument, generator.device)
        print(resolve_generator("fake").argument)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["fake A fake weights.pt:v2 meta", "None"]
    assert result.stderr == ""
    record = plugins_json(tmp_path)["fake"]
    assert record["version"] == "2.5" and record["module"] == "fake_plugin" and not record["builtin"]
    assert record["hooks"] == ["register_generators"]
    assert record["contributions"]["generators"] == ["fake"]


def test_hook_register_inverters(fresh: plugins.Registry) -> None:
    class Inverters:
        @hookimpl
        def register_inverters(self, register):
            register("encoder", lambda generator, device, **options: None, description="Encoder")

    plugins.register_plugin(Inverters(), name="inv")
    item = plugins.get_inverter("encoder")
    assert (item.name, item.plugin, item.description) == ("encoder", "inv", "Encoder")
    with pytest.raises(LatentroomError, match=r"unknown inverter 'optimiser' \(available: encoder\)"):
        plugins.get_inverter("optimiser")


def test_hook_register_direction_sources(fresh: plugins.Registry) -> None:
    class Sources:
        @hookimpl
        def register_direction_sources(self, register):
            register("interfacegan", dict)

    info = plugins.register_plugin(Sources(), name="dirs")
    assert plugins.get_direction_source("interfacegan").plugin == "dirs"
    assert info.hooks == ["register_direction_sources"]
    assert info.contributions == {"direction_sources": ["interfacegan"]}
    with pytest.raises(LatentroomError, match="unknown direction source 'sefa'"):
        plugins.get_direction_source("sefa")


class _Generator:
    """What the fit checks read of a generator: its size, domain and defaults."""

    def __init__(self, domain: str | None = None, size: int = 64, **defaults: str) -> None:
        self.domain, self.size = domain, size
        self.__dict__.update(defaults)


def test_hook_register_scorers(fresh: plugins.Registry) -> None:
    from latentroom.plugins.directions.scoring import build_scorer, resolve_scorer, score_images

    class Brightness:
        attributes = ("brightness",)

        def __init__(self, argument, domain=None, size=None):
            self.argument, self.domain, self.size = argument, domain, size

        def __call__(self, images):
            return images.reshape(len(images), -1).mean(1, keepdims=True)

    class Scorers:
        @hookimpl
        def register_scorers(self, register):
            register("brightness", lambda argument, device: Brightness(argument), description="mean pixel")
            register("cats-only", lambda argument, device: Brightness(argument, domain="cats"))
            register("small-only", lambda argument, device: Brightness(argument, size=16))

    info = plugins.register_plugin(Scorers(), name="scorers")
    assert info.contributions == {"scorers": ["brightness", "cats-only", "small-only"]}
    assert plugins.get_scorer("brightness").description == "mean pixel"
    scorer = build_scorer("brightness:gamma=2", "cpu")
    assert (scorer.argument, scorer.name) == ("gamma=2", "brightness:gamma=2")
    assert score_images(scorer, np.ones((2, 3, 4, 4)))["brightness"].tolist() == [1.0, 1.0]
    plain = _Generator()
    assert resolve_scorer("brightness", "cpu", plain, "g", ["brightness"]).argument is None
    assert resolve_scorer(None, "cpu", _Generator(default_scorer="brightness"), "g").name == "brightness"
    refusals = {
        (None, "names no default scorer: pass --scorer (registered: brightness, cats-only, small-only"),
        ("cats-only", "understands cats images only, and generator g makes other images: pass --scorer"),
        ("small-only", "takes 16x16 images, and generator g makes 64x64"),
        ("nope", "--scorer 'nope': unknown scorer (registered: brightness"),
    }
    for spec, message in refusals:
        with pytest.raises(LatentroomError, match=re.escape(message)):
            resolve_scorer(spec, "cpu", plain, "g")
    assert resolve_scorer("cats-only", "cpu", _Generator("cats"), "g").domain == "cats"
    with pytest.raises(LatentroomError, match="unknown attribute 'smile' for scorer brightness"):
        resolve_scorer("brightness", "cpu", plain, "g", ["smile"])


def test_hook_register_feature_networks(fresh: plugins.Registry) -> None:
    import torch

    from latentroom.plugins.inverters.features import describe, load_feature_net, perceptual_distance

    class Pooled(torch.nn.Module):
        def __init__(self, domain=None):
            super().__init__()
            self.domain = domain
            self.conv = torch.nn.Conv2d(3, 4, 3)

        def forward(self, images):
            return self.conv(images)  # a single tensor counts as a one-element list

    class Networks:
        @hookimpl
        def register_feature_networks(self, register):
            register("pooled", lambda argument, device: Pooled(argument), description="one conv")

    info = plugins.register_plugin(Networks(), name="nets")
    assert info.contributions == {"feature_networks": ["pooled"]}
    net = load_feature_net("pooled", "cpu", _Generator())
    assert describe("pooled", net) == "pooled" and not any(p.requires_grad for p in net.parameters())
    a, b = torch.zeros(2, 3, 8, 8), torch.ones(2, 3, 8, 8)
    assert perceptual_distance(net, a, a).tolist() == [0.0, 0.0] and perceptual_distance(net, a, b).shape == (2,)
    # auto: the generator's default_features; a generator that names none gets none.
    assert describe("auto", load_feature_net("auto", "cpu", _Generator(default_features="pooled"))) == "pooled"
    assert load_feature_net("auto", "cpu", _Generator()) is None
    with pytest.raises(LatentroomError, match=r"feature network 'pooled:faces' understands faces images only"):
        load_feature_net("pooled:faces", "cpu", _Generator("cars"))
    with pytest.raises(LatentroomError, match=r"features 'nope': unknown feature network \(registered: pooled"):
        load_feature_net("nope", "cpu", _Generator())


def test_hook_register_aligners(fresh: plugins.Registry) -> None:
    from latentroom.engine.aligners import Face, build_aligner

    class Corner:
        def detect(self, rgb):
            return [Face(np.array([[2, 2], [6, 2], [4, 4], [3, 6], [5, 6]], float), 0.9)]

    class Aligners:
        @hookimpl
        def register_aligners(self, register):
            register("corner", Corner, description="always the top-left corner")
            register("broken", lambda: object())

    info = plugins.register_plugin(Aligners(), name="faces")
    assert info.hooks == ["register_aligners"]
    assert info.contributions == {"aligners": ["corner", "broken"]}
    assert plugins.get_aligner("corner").description == "always the top-left corner"
    [face] = build_aligner("corner").detect(np.zeros((8, 8, 3), np.uint8))
    assert face.confidence == 0.9
    with pytest.raises(LatentroomError, match="aligner 'broken' from plugin 'faces' returned a object"):
        build_aligner("broken")
    with pytest.raises(LatentroomError, match=r"unknown aligner 'dlib' \(available: .*corner"):
        plugins.get_aligner("dlib")


def test_hook_register_text_image_models(fresh: plugins.Registry) -> None:
    import torch

    class Constant:
        """Every image and text embeds to the same unit vector."""

        name, embed_dim, image_size, weights_sha256 = "constant", 4, 8, None
        device = torch.device("cpu")

        def __init__(self, scale: float) -> None:
            self.scale = scale

        def encode_images(self, images):
            return torch.nn.functional.normalize(images.mean((1, 2, 3))[:, None] * self.scale + torch.ones(4), dim=1)

        def encode_texts(self, texts):
            return torch.ones(len(texts), 4) / 2

    class Models:
        @hookimpl
        def register_text_image_models(self, register):
            register("constant", lambda argument, device, **options: Constant(float(argument or 1)),
                     description="the same vector for everything")
            register("broken", lambda argument, device: object())

    info = plugins.register_plugin(Models(), name="clips")
    assert info.hooks == ["register_text_image_models"]
    assert info.contributions == {"text_image_models": ["constant", "broken"]}
    assert plugins.get_text_image_model("constant").description == "the same vector for everything"
    model = plugins.resolve_text_image_model("constant:0", "cpu")
    assert model.scale == 0.0
    assert torch.allclose(model.encode_images(torch.zeros(2, 3, 8, 8)) @ model.encode_texts(["a"]).T, torch.ones(2, 1))
    with pytest.raises(LatentroomError, match="text-image model 'broken' from plugin 'clips' returned a object"):
        plugins.resolve_text_image_model("broken")
    with pytest.raises(LatentroomError, match=r"unknown text-image model 'clip' \(available: .*constant"):
        plugins.get_text_image_model("clip")


def test_hook_register_presets(fresh: plugins.Registry, tmp_path: Path) -> None:
    (tmp_path / "warm-light").mkdir()
    (tmp_path / "older.lrpreset").write_bytes(b"")

    class Presets:
        @hookimpl
        def register_presets(self, register):
            register(tmp_path / "warm-light")
            register(str(tmp_path / "older.lrpreset"))
            register(tmp_path / "missing")

    plugins.register_plugin(Presets(), name="bundled")
    presets = fresh.presets
    assert presets["warm-light"].value == tmp_path / "warm-light"
    assert presets["older"].value == tmp_path / "older.lrpreset"
    assert {item.plugin for item in presets.values()} == {"bundled"}
    assert [(e.stage, "does not exist" in e.message) for e in fresh.errors] == [("register_presets", True)]


def test_hook_register_commands_adds_a_working_command(tmp_path: Path) -> None:
    write_dist(tmp_path, "lr-greet", {"greet_plugin": """
        import click
        from latentroom.engine import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command("greet")
            @click.argument("who")
            def greet(who):
                click.echo(f"hello {who}")

            @cli.command("plugins")  # taken by the core: refused and reported
            def impostor():
                click.echo("impostor")
    """}, {"greet": "greet_plugin"})
    result = run_cli(tmp_path, "greet", "world")
    assert (result.returncode, result.stdout) == (0, "hello world\n"), result.stderr
    record = plugins_json(tmp_path)["greet"]
    assert record["contributions"]["commands"] == ["greet"]
    assert record["errors"] == [
        {"stage": "register_commands", "message": "command 'plugins' is already provided by the core"}
    ]
    assert "hello" not in run_cli(tmp_path, "--help").stdout  # --help lists commands, it runs none


# --- errors -------------------------------------------------------------------------


def test_duplicate_name_is_an_error_naming_both_plugins(tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        write_dist(tmp_path, f"lr-{name}", {f"{name}_plugin": module(FAKE_GENERATOR, f"""
            from latentroom.engine import hookimpl

            @hookimpl
            def register_generators(register):
                register("twin", FakeGenerator, description="{name}'s")
        """)}, {name: f"{name}_plugin"})
    result = run_python(tmp_path, """
        from latentroom.engine.plugins import registry
        print(registry().generators["twin"].description)
    """)
    assert result.stdout == "alpha's\n"  # first (by name) kept
    assert result.stderr == (
        "latentroom: plugin 'beta' failed: register_generators: "
        "generator 'twin' is already registered by plugin 'alpha'; kept that one\n"
    )


def test_import_error_is_reported_and_the_rest_works(tmp_path: Path) -> None:
    broken = {"broken_plugin": "import no_such_module_here\n"}
    write_dist(tmp_path, "lr-broken", broken, {"broken": "broken_plugin"})
    write_dist(tmp_path, "lr-fine", {"fine_plugin": """
        from latentroom.engine import hookimpl

        @hookimpl
        def register_direction_sources(register):
            register("fine", dict)
    """}, {"fine": "fine_plugin"})
    result = run_cli(tmp_path, "plugins", "--json")
    assert result.returncode == 0
    # Printed once, naming the plugin and where the import failed.
    assert result.stderr.count("latentroom: plugin 'broken' failed: import: ModuleNotFoundError") == 1
    assert "broken_plugin.py:1" in result.stderr
    records = {record["name"]: record for record in json.loads(result.stdout)}
    assert records["broken"]["errors"][0]["stage"] == "import"
    assert records["broken"]["hooks"] == []
    assert records["fine"]["contributions"]["direction_sources"] == ["fine"]
    assert records["fine"]["errors"] == []
    text = run_cli(tmp_path, "plugins").stdout
    assert "broken (1.0) module broken_plugin" in text and "error in import: ModuleNotFoundError" in text


def test_exception_in_a_hook_keeps_the_rest(
    fresh: plugins.Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    class Flaky:
        @hookimpl
        def register_generators(self, register):
            register("early", dict)
            raise RuntimeError("weights server down")

        @hookimpl
        def register_inverters(self, register):
            register("still-here", dict)

    plugins.register_plugin(Flaky(), name="flaky")
    assert set(fresh.generators) == {"early"}  # registered before the failure
    assert set(fresh.inverters) == {"still-here"}
    [error] = fresh.errors
    assert (error.plugin, error.stage) == ("flaky", "register_generators")
    assert error.message.startswith("RuntimeError: weights server down (")
    assert "test_plugins.py:" in error.message  # where it was raised
    assert capsys.readouterr().err == f"latentroom: {error}\n"


def test_bad_registrations_are_reported_not_raised(fresh: plugins.Registry) -> None:
    class Sloppy:
        @hookimpl
        def register_generators(self, register):
            register("ok", dict)
            register("not-callable", "factory.py")
            register(42, dict)
            register("", dict)
            register("a:b", dict)
            register("bad-description", dict, description=3)

        @hookimpl
        def register_presets(self, register):
            register(None)

        @hookimpl
        def register_generator(self, register):  # typo: not a hook
            pass

    class WrongArgument:
        @hookimpl
        def register_generators(self, reg):  # pluggy: argument must be `register`
            pass

    plugins.register_plugin(Sloppy(), name="sloppy")
    plugins.register_plugin(WrongArgument(), name="wrong")
    assert list(fresh.generators) == ["ok"]
    problems = [(e.plugin, e.stage, e.message) for e in fresh.errors]
    assert problems == [
        ("sloppy", "register", "implements unknown hook 'register_generator'"),
        ("sloppy", "register_generators", "generator 'not-callable': factory must be callable, got str"),
        ("sloppy", "register_generators", "generator name must be a non-empty string without ':', got 42"),
        ("sloppy", "register_generators", "generator name must be a non-empty string without ':', got ''"),
        ("sloppy", "register_generators", "generator name must be a non-empty string without ':', got 'a:b'"),
        ("sloppy", "register_generators", "generator 'bad-description': description must be a string"),
        ("sloppy", "register_presets", "preset path must be a str or os.PathLike, got None"),
        ("wrong", "register", problems[-1][2]),
    ]
    assert "reg" in problems[-1][2] and problems[-1][2].startswith("PluginValidationError")


def test_duplicate_command_names_both_plugins(fresh: plugins.Registry) -> None:
    def adds_sync(message: str) -> object:
        class Plugin:
            @hookimpl
            def register_commands(self, cli):
                cli.command("sync")(lambda: click.echo(message))

        return Plugin()

    group = click.Group()
    plugins.register_plugin(adds_sync("first"), name="one")
    plugins.register_plugin(adds_sync("second"), name="two")
    plugins.load_plugin_commands(group)
    plugins.load_plugin_commands(group)  # once per group: no second round of errors
    assert CliRunner().invoke(group, ["sync"]).output == "first\n"
    assert [str(e) for e in fresh.errors] == [
        "plugin 'two' failed: register_commands: command 'sync' is already provided by plugin 'one'"
    ]


# --- selection, laziness ---------------------------------------------------------------

MARKED = """
    import os
    from latentroom.engine import hookimpl

    # Import side effect, so tests can tell whether the module was ever imported.
    with open(os.path.join(os.environ["MARKS"], "{name}.imported"), "a") as f:
        f.write("x")

    @hookimpl
    def register_generators(register):
        with open(os.path.join(os.environ["MARKS"], "{name}.register_generators"), "a") as f:
            f.write("x")

    @hookimpl
    def register_commands(cli):
        with open(os.path.join(os.environ["MARKS"], "{name}.register_commands"), "a") as f:
            f.write("x")
"""


def marked_dists(root: Path, *names: str) -> Path:
    marks = root / "marks"
    marks.mkdir()
    for name in names:
        write_dist(root, f"lr-{name}", {f"{name}_plugin": MARKED.replace("{name}", name)}, {name: f"{name}_plugin"})
    return marks


def test_load_plugins_allow_list(tmp_path: Path) -> None:
    marks = marked_dists(tmp_path, "one", "two")
    assert set(plugins_json(tmp_path, MARKS=str(marks))) == {"one", "two"}  # unset: all
    for path in marks.iterdir():
        path.unlink()
    assert set(plugins_json(tmp_path, MARKS=str(marks), LATENTROOM_LOAD_PLUGINS=" two, ")) == {"two"}
    assert not (marks / "one.imported").exists()
    # Set but empty: the built-ins only (whatever their state, they are listed).
    listed = plugins_json(tmp_path, MARKS=str(marks), LATENTROOM_LOAD_PLUGINS="", LATENTROOM_DISABLE_PLUGINS="")
    assert set(listed) == set(BUILTINS.split(","))
    assert all(record["builtin"] and record["version"] for record in listed.values())


def test_disable_wins_over_load_for_the_same_plugin(tmp_path: Path) -> None:
    marks = marked_dists(tmp_path, "both", "listed")
    records = plugins_json(tmp_path, MARKS=str(marks), LATENTROOM_LOAD_PLUGINS="both,listed",
                           LATENTROOM_DISABLE_PLUGINS=f"both,{BUILTINS}")
    assert set(records) == {"listed"}
    assert not (marks / "both.imported").exists()


SWATCH = """
    import os
    import click
    from latentroom.engine import hookimpl

    with open(os.path.join(os.environ["MARKS"], "swatch.imported"), "a") as f:
        f.write("x")

    @hookimpl
    def register_commands(cli):
        @cli.command("flat-swatch")
        def flat_swatch():
            click.echo("swatch")
"""


@pytest.mark.parametrize("variables, expected", [
    ({"LATENTROOM_DISABLE_PLUGINS": f"swatchy,{BUILTINS}"},
     "It comes from plugin 'swatchy', which LATENTROOM_DISABLE_PLUGINS filters out."),
    ({"LATENTROOM_LOAD_PLUGINS": ""},
     "It comes from plugin 'swatchy', which LATENTROOM_LOAD_PLUGINS filters out (it is not listed there)."),
])
def test_command_of_a_filtered_plugin_names_the_plugin(tmp_path: Path, variables: dict, expected: str) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    write_dist(tmp_path, "lr-swatchy", {"swatchy_plugin": SWATCH}, {"swatchy": "swatchy_plugin"})
    assert run_cli(tmp_path, "flat-swatch", MARKS=str(marks)).stdout == "swatch\n"
    (marks / "swatch.imported").unlink()
    result = run_cli(tmp_path, "flat-swatch", MARKS=str(marks), **variables)
    assert result.returncode == 2
    assert f"No such command 'flat-swatch'. {expected}" in result.stderr
    assert not (marks / "swatch.imported").exists()  # found in its source, never imported
    # A name no filtered plugin mentions: the filtered plugins are listed as a lead.
    result = run_cli(tmp_path, "nothing-here", MARKS=str(marks), **variables)
    assert "Plugins filtered out by the environment, whose commands are not loaded:" in result.stderr
    assert "swatchy (LATENTROOM_" in result.stderr


def test_unknown_command_without_filtered_plugins_is_plain(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "nothing-here", LATENTROOM_DISABLE_PLUGINS="")
    assert result.returncode == 2 and "Error: No such command 'nothing-here'.\n" in result.stderr


def test_disable_plugins_blocks_before_import(tmp_path: Path) -> None:
    marks = marked_dists(tmp_path, "noisy", "quiet")
    records = plugins_json(tmp_path, MARKS=str(marks), LATENTROOM_DISABLE_PLUGINS=f"noisy,{BUILTINS}")
    assert set(records) == {"quiet"}
    assert not (marks / "noisy.imported").exists()  # never imported, not just ignored
    assert (marks / "quiet.imported").exists()


def test_plugins_load_lazily_and_once(tmp_path: Path) -> None:
    marks = marked_dists(tmp_path, "counted")
    result = run_python(tmp_path, """
        import os, sys
        from latentroom import engine
        import latentroom.engine.plugins
        from latentroom.engine.cli import cli
        marks = os.environ["MARKS"]
        print(sorted(os.listdir(marks)))  # nothing imported yet
        engine.plugins.registry(); engine.plugins.registry()
        engine.plugins.load_plugin_commands(cli); engine.plugins.load_plugin_commands(cli)
        print({name: len(open(os.path.join(marks, name)).read()) for name in sorted(os.listdir(marks))})
        engine.plugins.reset(); engine.plugins.registry()
        print(len(open(os.path.join(marks, "counted.register_generators")).read()))
    """, MARKS=str(marks))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[]",
        "{'counted.imported': 1, 'counted.register_commands': 1, 'counted.register_generators': 1}",
        "2",  # reset() runs the hooks again (the module stays imported)
    ]


def test_help_lists_plugin_commands_in_their_own_section_without_torch(tmp_path: Path) -> None:
    write_dist(tmp_path, "lr-greet", {"greet_plugin": """
        import click
        from latentroom.engine import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command("greet")
            def greet():
                \"\"\"Say hello to the world.\"\"\"
    """}, {"greet": "greet_plugin"})
    result = run_python(tmp_path, """
        import sys
        from latentroom.engine.cli import cli
        try:
            cli.main(["--help"], prog_name="latentroom")
        except SystemExit as exit:
            assert exit.code == 0, exit.code
        print("HEAVY", sorted(m for m in ("torch", "onnx", "onnxruntime") if m in sys.modules))
    """, LATENTROOM_DISABLE_PLUGINS="")
    assert result.returncode == 0, result.stderr
    core, _, plugin_section = result.stdout.partition("\nPlugin commands:\n")
    listed = {line.split()[0] for line in plugin_section.split("\n\n")[0].splitlines() if line.strip()}
    # Every authoring command comes from a plugin: the built-ins' and a third party's.
    assert {"author", "direction", "edit", "generate", "invert", "train-encoder", "train-gan", "greet"} <= listed
    assert "Say hello to the world." in plugin_section
    assert "  apply " in core and "  greet " not in core and "  generate " not in core
    assert "HEAVY []" in result.stdout


AUTHORING_COMMANDS = ("author", "train-gan", "train-encoder", "generate", "invert", "edit", "direction", "text-edit")


def test_plugin_command_help_does_not_import_torch(tmp_path: Path) -> None:
    # `latentroom COMMAND --help` builds the command's options (shared ones included):
    # the built-ins keep torch and onnx inside the command bodies, so help is instant.
    result = run_python(tmp_path, f"""
        import sys
        from latentroom.engine.cli import cli
        for command in {AUTHORING_COMMANDS!r}:
            try:
                cli.main([command, "--help"], prog_name="latentroom")
            except SystemExit as exit:
                assert exit.code == 0, (command, exit.code)
            print("HEAVY", command, sorted(m for m in ("torch", "onnx", "onnxruntime") if m in sys.modules))
    """, LATENTROOM_DISABLE_PLUGINS="")
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("HEAVY")] == [
        f"HEAVY {command} []" for command in AUTHORING_COMMANDS]
    for command in AUTHORING_COMMANDS:
        assert f"Usage: latentroom {command} [OPTIONS]" in result.stdout


@pytest.mark.parametrize("code", [
    "import latentroom.engine, latentroom.engine.plugins, latentroom.engine.commands.plugins",
    "from latentroom.engine.cli import cli; cli.main(['plugins', '--all', '--json'], standalone_mode=False)",
])
def test_engine_and_plugins_command_do_not_import_torch(tmp_path: Path, code: str) -> None:
    # With the real built-in plugins enabled: their modules must not import torch either.
    code = f"import sys\n{code}\nprint('TORCH', 'torch' in sys.modules)"
    result = run_python(tmp_path, code, LATENTROOM_DISABLE_PLUGINS="")
    assert result.returncode == 0, result.stderr
    assert "TORCH False" in result.stdout


# --- registry API, in process ----------------------------------------------------------


def test_resolve_generator(fresh: plugins.Registry) -> None:
    class Generators:
        @hookimpl
        def register_generators(self, register):
            namespace: dict = {}
            exec(textwrap.dedent(FAKE_GENERATOR), namespace)
            register("toyfaces", namespace["FakeGenerator"])
            register("hollow", lambda argument, device: object())

    plugins.register_plugin(Generators(), name="gens")
    default = plugins.resolve_generator(None)
    assert (default.argument, default.device) == (None, "cpu")  # None means toyfaces
    assert plugins.get_generator("toyfaces").plugin == "gens"
    with pytest.raises(LatentroomError, match=r"unknown generator 'nope' \(available: hollow, toyfaces\)"):
        plugins.resolve_generator("nope:x")
    with pytest.raises(PluginLoadError, match="generator 'hollow' from plugin 'gens' returned a object"):
        plugins.resolve_generator("hollow")


def test_an_error_inside_a_generator_factory_names_the_generator_asked_for(fresh: plugins.Registry) -> None:
    class Wrapper:
        @hookimpl
        def register_generators(self, register):
            # A generator built on another one, resolved inside the factory.
            register("tinted", lambda argument, device: plugins.resolve_generator(argument or "base", device))

    plugins.register_plugin(Wrapper(), name="tints")
    with pytest.raises(LatentroomError) as caught:
        plugins.resolve_generator("tinted:flat")
    assert caught.value.message == (
        "generator 'tinted:flat' (plugin 'tints'): unknown generator 'flat' (available: tinted)"
    )


def test_plugins_behind_names_the_contributors_of_the_parts_used(fresh: plugins.Registry) -> None:
    class Sources:
        @hookimpl
        def register_direction_sources(self, register):
            register("fisher", dict)

    class Gens:
        @hookimpl
        def register_generators(self, register):
            register("flat", lambda argument, device: None)

        @hookimpl
        def register_inverters(self, register):
            register("flat-encoder", lambda generator, device: None)

    plugins.register_plugin(Sources(), name="fisher")
    plugins.register_plugin(Gens(), name="flat")
    used = {"generators": ["flat"], "direction_sources": ["fisher", "from-elsewhere"], "inverters": ["flat-encoder"]}
    assert plugins.plugins_behind(used) == [
        {"name": "fisher", "version": "unpackaged"},  # load order; each plugin once
        {"name": "flat", "version": "unpackaged"},
    ]
    assert plugins.plugins_behind({"generators": ["flat"], "inverters": []}) == [{"name": "flat", "version": "unpackaged"}]


def test_registry_is_cached_until_reset(fresh: plugins.Registry) -> None:
    assert plugins.registry() is fresh
    plugins.reset()
    assert plugins.registry() is not fresh


def test_plugins_command_hides_clean_builtins_unless_all(fresh: plugins.Registry) -> None:
    from latentroom.engine.commands.plugins import plugins_command

    class Extra:
        @hookimpl
        def register_inverters(self, register):
            register("extra-inverter", dict)

    class Clean:
        pass

    plugins.register_plugin(Extra(), name="extra")
    plugins.register_plugin(Clean(), name="clean-core").builtin = True  # pretend it is built in
    plugins.register_plugin(Clean(), name="broken-core").builtin = True
    fresh._fail("broken-core", "import", "boom")
    runner = CliRunner()
    text = runner.invoke(plugins_command, []).output
    assert "extra (unpackaged) module test_plugins" in text and "inverters: extra-inverter" in text
    assert "clean-core" not in text  # built in and fine: only with --all
    assert "broken-core (unpackaged, built-in)" in text and "error in import: boom" in text
    records = json.loads(runner.invoke(plugins_command, ["--all", "--json"]).output)
    assert [record["name"] for record in records] == ["extra", "clean-core", "broken-core"]
    assert records[2]["errors"] == [{"stage": "import", "message": "boom"}]
    assert records[0]["contributions"]["inverters"] == ["extra-inverter"]


MARKED_ALIGNER = MARKED + """
    @hookimpl
    def register_aligners(register):
        register("{name}-corner", object)
"""


def test_lookup_by_name_loads_plugins_only_until_one_has_it(tmp_path: Path) -> None:
    # Built-ins load first, so naming a built-in item never imports third-party code;
    # a third-party item loads the plugins up to its own; an unknown name loads all.
    marks = tmp_path / "marks"
    marks.mkdir()
    for name in ("alpha", "beta"):
        write_dist(tmp_path, f"lr-{name}", {f"{name}_plugin": MARKED_ALIGNER.replace("{name}", name)},
                   {name: f"{name}_plugin"})
    result = run_python(tmp_path, """
        import os
        from latentroom.engine import plugins
        from latentroom.engine.errors import LatentroomError

        def imported():
            return sorted(name for name in os.listdir(os.environ["MARKS"]) if name.endswith(".imported"))

        from latentroom.engine.aligners import choose_aligner

        print(choose_aligner(None, None, "p"), imported())  # the photo aligner, built in
        print(plugins.get_aligner("toyfaces").plugin, imported())
        print(plugins.get_aligner("alpha-corner").plugin, imported())
        try:
            plugins.get_aligner("dlib")
        except LatentroomError as e:
            print("beta-corner" in str(e), imported())
        print(plugins.get_aligner("toyfaces").plugin, len(plugins.registry().plugins))
    """, MARKS=str(marks), LATENTROOM_DISABLE_PLUGINS="")
    assert result.returncode == 0, result.stderr
    builtins = len(BUILTINS.split(","))
    assert result.stdout.splitlines() == [
        "mtcnn []",
        "toyfaces []",
        "alpha ['alpha.imported']",
        "True ['alpha.imported', 'beta.imported']",
        f"toyfaces {builtins + 2}",  # each plugin loaded once
    ]
