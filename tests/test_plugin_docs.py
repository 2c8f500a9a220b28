"""docs/plugins.md stays in step with engine/hookspecs.py, every hook has a test, and
the tutorial's plugin package really works."""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from latentroom.engine import hookspecs
from preset_fixtures import build_preset
from test_plugins import run_cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "docs" / "plugins.md").read_text()
SPEC_MARK = "latentroom_spec"  # the attribute pluggy.HookspecMarker("latentroom") sets


def hookspec_functions() -> dict[str, object]:
    return {
        name: function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, SPEC_MARK)
    }


def test_hook_names_match_the_hookspecs() -> None:
    assert set(hookspecs.HOOK_NAMES) == set(hookspec_functions())
    assert len(hookspecs.HOOK_NAMES) == len(set(hookspecs.HOOK_NAMES))


@pytest.mark.parametrize("hook", sorted(set(hookspecs.HOOK_NAMES) | set(hookspec_functions())))
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    heading = re.compile(rf"^#+ `{re.escape(f'{hook}({params})')}`$", re.MULTILINE)
    assert heading.search(DOCS), f"docs/plugins.md needs a heading: ### `{hook}({params})`"


def hook_tests() -> dict[str, str]:
    """``test_hook_*`` functions in tests/*.py -> the source of their bodies."""
    found = {}
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_"):
                found[node.name] = "\n".join(ast.get_source_segment(source, stmt) or "" for stmt in node.body)
    return found


@pytest.mark.parametrize("hook", hookspecs.HOOK_NAMES)
def test_every_hook_has_a_test(hook: str) -> None:
    # A test counts when it is named for the hook and its body implements the hook
    # (a nested @hookimpl method or a plugin module's source), so it exercises it.
    exercising = [
        name
        for name, body in hook_tests().items()
        if name.startswith(f"test_hook_{hook}") and f"def {hook}(" in body
    ]
    assert exercising, f"add a test_hook_{hook}* test whose body implements `{hook}`"


def tutorial_files() -> dict[str, str]:
    """Code blocks whose first line is a comment naming a file of the tutorial package."""
    blocks = re.findall(r"^```\w*\n# (latentroom-flat/\S+)\n(.*?)^```$", DOCS, re.MULTILINE | re.DOTALL)
    return {path: code for path, code in blocks}


def pip_install_tutorial(tmp_path: Path) -> Path:
    """Write the tutorial package, with a real preset bundle where the tutorial puts
    one, and install it the way a user does: a regular (non-editable) pip install,
    offline, into its own folder. Returns that folder (a site directory)."""
    source = tmp_path / "src"
    for path, code in tutorial_files().items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(code)
    package = source / "latentroom-flat"
    build_preset(package / "latentroom_flat" / "presets" / "flat-warm", name="flat-warm")
    site = tmp_path / "site"
    # latentroom itself is on the test interpreter's path: --no-deps keeps pip from
    # looking for latentroom[author] on an index, and --no-build-isolation builds with
    # the installed setuptools instead of downloading one.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(site), str(package)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return site


def test_tutorial_plugin_installs_and_works(tmp_path: Path) -> None:
    site = pip_install_tutorial(tmp_path)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}  # an empty user library
    listing = run_cli(site, "plugins", "--json", **env)
    assert listing.returncode == 0 and listing.stderr == "", listing.stderr
    [record] = json.loads(listing.stdout)
    assert (record["name"], record["version"], record["errors"]) == ("flat", "0.1.0", [])
    assert record["contributions"]["generators"] == ["flat"]
    assert record["contributions"]["presets"] == ["flat-warm"]
    assert record["contributions"]["commands"] == ["flat-swatch"]
    swatch = run_cli(site, "flat-swatch", "--seed", "3", **env)
    assert swatch.returncode == 0, swatch.stderr
    assert re.fullmatch(r"#[0-9a-f]{6}\n", swatch.stdout)
    help_text = run_cli(site, "flat-swatch", "--help", **env)
    assert "Print the colour the flat generator draws" in help_text.stdout
    filtered = run_cli(site, "flat-swatch", **env, LATENTROOM_LOAD_PLUGINS="")
    assert "It comes from plugin 'flat', which LATENTROOM_LOAD_PLUGINS filters out" in filtered.stderr

    # The shipped preset is package data of the installed copy, listed under the plugin.
    presets = run_cli(site, "preset", "list", "--json", **env)
    assert presets.returncode == 0, presets.stderr
    [entry] = [e for e in json.loads(presets.stdout)["presets"] if e["name"] == "flat-warm"]
    assert (entry["source"], entry["plugin"], entry["active"], entry["error"]) == ("plugin", "flat", True, None)
    assert Path(entry["path"]) == site / "latentroom_flat" / "presets" / "flat-warm"
    table = run_cli(site, "preset", "list", **env)
    [row] = [line for line in table.stdout.splitlines() if line.startswith("flat-warm ")]
    assert row.split()[:4] == ["flat-warm", "1.0.0", "plugin:flat", "active"]

    applied = run_cli(site, "apply", "flat-warm", str(ROOT / "examples" / "face-00.png"), "-o", "out", **env)
    assert applied.returncode == 0, applied.stderr
    assert (site / "out" / "face-00.png").is_file()


def test_every_builtin_direction_source_is_listed() -> None:
    from latentroom.plugins.directions.plugin import DESCRIPTIONS  # what the built-in plugin registers

    [listed] = re.findall(r"latentroom's own sources \(([^)]*)\)", DOCS)
    assert re.findall(r"`([^`]+)`", listed) == list(DESCRIPTIONS)


def test_direction_sources_section_exists() -> None:
    # Another part of the docs work extends this section; keep the anchor stable.
    assert re.search(r"^## Direction sources$", DOCS, re.MULTILINE)
