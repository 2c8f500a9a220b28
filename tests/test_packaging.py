"""How latentroom installs: one import name, ``latentroom``, and every source file in it.

The repository keeps engine/, plugins/ and presets/ at the top; setup.cfg maps them to
latentroom.engine, latentroom.plugins and latentroom.presets, so nothing named bare
``engine`` or ``plugins`` lands in site-packages to collide with another distribution.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = ("engine", "plugins", "presets")


def python_sources() -> list[Path]:
    folders = [ROOT / d for d in (*PACKAGE_DIRS, "tests", "scripts", "benchmarks")]
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_code_imports_the_bare_repository_folders() -> None:
    bare = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_sources()
        for name in imported_modules(path)
        if name.split(".")[0] in PACKAGE_DIRS
    ]
    assert not bare, "import these as latentroom.<folder>: " + "; ".join(bare)


def test_the_core_never_imports_plugin_code() -> None:
    # The engine knows plugins only through hooks and entry points; an import of
    # latentroom.plugins anywhere under engine/ (lazy imports inside functions
    # included: ast.walk sees them) would tie the core to one plugin's code.
    def plugin_imports(path: Path) -> list[str]:
        found = [name for name in imported_modules(path) if name.split(".")[:2] == ["latentroom", "plugins"]]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "latentroom":
                found += [f"latentroom.{alias.name}" for alias in node.names if alias.name == "plugins"]
        return found

    reaching = [f"{path.relative_to(ROOT)}: {name}"
                for path in sorted((ROOT / "engine").rglob("*.py")) for name in plugin_imports(path)]
    assert not reaching, "the core imports plugin code: " + "; ".join(reaching)


def test_wheel_holds_only_latentroom_and_every_source_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True, cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("latentroom-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"latentroom", next(n for n in top_level if n.endswith(".dist-info"))}
    assert "latentroom/__init__.py" not in names  # a namespace: no file of ours at the top
    expected = {
        "latentroom/" + str(path.relative_to(ROOT))
        for folder in PACKAGE_DIRS
        for path in (ROOT / folder).rglob("*.py")
    }
    assert expected - set(names) == set(), "setup.cfg's packages list misses these"
    bundled = [n for n in names if n.startswith("latentroom/presets/smile/")]
    assert {n.rsplit("/", 1)[1] for n in bundled} >= {"preset.json", "model.onnx"}
