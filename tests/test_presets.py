"""Bundle format, verification, the library search path and the `preset` commands."""

from __future__ import annotations

import json
import stat
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from latentroom.engine.cli import cli
from latentroom.engine.errors import PresetError
from latentroom.engine.presets import (
    load_preset,
    pack_bundle,
    quality_label,
    read_bundle,
    resolve,
    validate_manifest,
    write_bundle,
)
from latentroom.engine.presets.library import list_presets
from preset_fixtures import build_preset, isolate_library, make_manifest, model_bytes
from script_loader import load_script


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return build_preset(tmp_path / "fixture")


@pytest.fixture
def lib(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    return isolate_library(monkeypatch, tmp_path)


def rewrite_manifest(bundle: Path, **changes: object) -> None:
    data = json.loads((bundle / "preset.json").read_text())
    data.update(changes)
    (bundle / "preset.json").write_text(json.dumps(data))


def run(*args: str) -> "CliRunner.invoke":
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- manifest schema ------------------------------------------------------------------


def test_valid_manifest_has_no_problems() -> None:
    assert validate_manifest(make_manifest()) == []
    assert validate_manifest(make_manifest(strength=False)) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda m: m.pop("license"), "license: required key is missing"),
        (lambda m: m["model"].pop("sha256"), "model.sha256: required key is missing"),
        (lambda m: m["io"].update(resolution="256"), "io.resolution: expected an integer from 8 to 2048, got '256'"),
        (lambda m: m["io"].update(resolution=True), "io.resolution: expected an integer from 8 to 2048, got boolean"),
        (lambda m: m.update(title=5), "title: expected a non-empty string, got 5"),
        (lambda m: m["io"].update(value_range=[1, -1]), "io.value_range: expected low < high"),
        (lambda m: m["io"].update(layout="CHW"), "io.layout: expected 'NCHW' or 'NHWC', got 'CHW'"),
        (lambda m: m["model"].update(sha256="ABC"), "model.sha256: expected 64 lowercase hex digits, got 'ABC'"),
        (lambda m: m["model"].update(file="../evil.onnx"), "model.file: expected a plain file name"),
        (lambda m: m["model"].update(inputs="image"), "model.inputs: expected a non-empty array of at most 16 strings"),
        (lambda m: m.update(name="Bad Name"), "name: expected a name of 1-64 characters"),
        (lambda m: m["strength"].update(default=5.0), "strength: expected min <= default <= max"),
        (lambda m: m["strength"].update(input="amount"), "strength.input: 'amount' is not one of model.inputs"),
        (lambda m: m["metrics"].update(psnr="high"), "metrics.psnr: expected a finite number, got 'high'"),
        (lambda m: m["provenance"].update(layers=[-1]), "provenance.layers: expected an array of integers from 0 to 1023"),
        (lambda m: m.update(requires_plugins=[{"name": "x"}]), "requires_plugins[0].version: required key is missing"),
        (lambda m: m.update(stregth=1), "stregth: unknown key (extensions must start with 'x-')"),
        (lambda m: m.update(schema_version=2), "schema_version: unknown version 2; this latentroom reads version 1"),
        (lambda m: m.update(schema_version="1"), "schema_version: expected an integer, got '1'"),
        (lambda m: m.pop("schema_version"), "schema_version: required key is missing"),
    ],
)
def test_manifest_problems_are_precise(mutate, expected: str) -> None:
    manifest = make_manifest()
    mutate(manifest)
    problems = validate_manifest(manifest)
    assert any(p.startswith(expected) for p in problems), problems


def test_extension_keys_allowed_and_all_problems_reported() -> None:
    assert validate_manifest(make_manifest(**{"x-notes": "anything"})) == []
    manifest = make_manifest(title="", license=None)
    manifest["io"]["resolution"] = 0
    assert len(validate_manifest(manifest)) == 3
    assert validate_manifest([1]) == ["manifest: expected an object, got array"]


def test_quality_label() -> None:
    assert quality_label({"psnr": 33, "lpips": 0.04}).startswith("excellent")
    assert quality_label({"psnr": 33, "lpips": 0.3}).startswith("poor")  # the worst metric decides
    assert quality_label({}).startswith("unrated")


# -- loading and verification ---------------------------------------------------------


def test_load_directory_and_packed(bundle: Path, tmp_path: Path) -> None:
    preset = load_preset(bundle)
    assert preset.name == "fixture" and preset.provider == "CPUExecutionProvider"
    packed = pack_bundle(bundle, tmp_path / "fixture.lrpreset")
    assert load_preset(str(packed)).manifest == preset.manifest


def test_bad_json_names_bundle(bundle: Path) -> None:
    (bundle / "preset.json").write_text('{"schema_version": 1,')
    with pytest.raises(PresetError, match=rf"^{bundle}: preset.json is not valid JSON: .*line 1"):
        read_bundle(bundle)


def test_schema_error_names_bundle(bundle: Path) -> None:
    rewrite_manifest(bundle, schema_version=7)
    with pytest.raises(PresetError, match=rf"^{bundle}: invalid preset.json: schema_version: unknown version 7"):
        load_preset(bundle)


def test_checksum_mismatch(bundle: Path) -> None:
    data = bytearray((bundle / "model.onnx").read_bytes())
    data[-1] ^= 0xFF
    (bundle / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(PresetError, match="checksum mismatch for model.onnx"):
        load_preset(bundle)


def test_missing_model_and_manifest(bundle: Path, tmp_path: Path) -> None:
    (bundle / "model.onnx").unlink()
    with pytest.raises(PresetError, match=rf"{bundle}: model file model.onnx is missing"):
        read_bundle(bundle)
    (bundle / "preset.json").unlink()
    with pytest.raises(PresetError, match="manifest preset.json is missing"):
        read_bundle(bundle)
    with pytest.raises(PresetError, match="no such preset bundle"):
        read_bundle(tmp_path / "nowhere")


def test_manifest_must_match_model(tmp_path: Path) -> None:
    # The manifest says "no strength input", the graph has one: caught at load time.
    manifest = make_manifest(strength=False)
    write_bundle(tmp_path / "a", manifest, model_bytes("additive", 32))
    with pytest.raises(PresetError, match=r"model inputs \['image', 'strength'\] do not match"):
        load_preset(tmp_path / "a")
    write_bundle(tmp_path / "b", make_manifest(io={**make_manifest()["io"], "resolution": 64}), model_bytes())
    with pytest.raises(PresetError, match=r"has shape \['N', 3, 32, 32\].*implies \['N', 3, 64, 64\]"):
        load_preset(tmp_path / "b")


def test_corrupt_zip(tmp_path: Path) -> None:
    bad = tmp_path / "bad.lrpreset"
    bad.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(PresetError, match=rf"{bad}: not a valid packed preset \(corrupt zip"):
        load_preset(bad)


def test_corrupt_zip_member(bundle: Path, tmp_path: Path) -> None:
    packed = pack_bundle(bundle, tmp_path / "p.lrpreset")
    data = bytearray(packed.read_bytes())
    # Flip bytes inside the model's compressed data: the CRC check must catch it.
    start = data.find(b"model.onnx") + 200
    data[start : start + 20] = bytes(20)
    packed.write_bytes(bytes(data))
    with pytest.raises(PresetError, match=r"corrupt archive entry model.onnx|checksum mismatch|corrupt zip"):
        load_preset(packed)


def make_zip(path: Path, bundle: Path, extra: zipfile.ZipInfo, data: bytes = b"x") -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for f in bundle.iterdir():
            zf.write(f, f.name)
        zf.writestr(extra, data)
    return path


@pytest.mark.parametrize(
    "entry, why",
    [
        ("/etc/evil", "absolute path"),
        ("../evil", r"'\.\.' in path"),
        ("sub/../../evil", r"'\.\.' in path"),
        ("link", "symbolic link"),
    ],
)
def test_zip_escapes_rejected(bundle: Path, tmp_path: Path, lib: dict, entry: str, why: str) -> None:
    info = zipfile.ZipInfo(entry)
    if entry == "link":
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
    packed = make_zip(tmp_path / "evil.lrpreset", bundle, info, b"/etc/passwd")
    with pytest.raises(PresetError, match=f"unsafe archive entry .*: {why}"):
        load_preset(packed)
    result = run("preset", "install", str(packed))
    assert result.exit_code == 1 and "unsafe archive entry" in result.output
    assert not (tmp_path / "evil").exists()
    assert not lib["user"].exists() or not any(lib["user"].iterdir())


# -- library --------------------------------------------------------------------------


def test_precedence_and_shadowing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    plugin_bundle = build_preset(tmp_path / "plug" / "shared", name="shared", title="from plugin")
    lib = isolate_library(monkeypatch, tmp_path, {"shared": plugin_bundle})
    build_preset(lib["bundled"] / "shared", name="shared", title="bundled")
    build_preset(lib["bundled"] / "only-bundled", name="only-bundled")
    build_preset(lib["user"] / "shared", name="shared", title="user")
    env1, env2 = tmp_path / "env1", tmp_path / "env2"
    build_preset(env2 / "shared", name="shared", title="env2")
    env1.mkdir()
    pack_bundle(build_preset(tmp_path / "src", name="shared", title="env1"), env1 / "shared.lrpreset")
    monkeypatch.setenv("LATENTROOM_PRESET_PATH", f"{env1}:{env2}")

    path, entry = resolve("shared")
    assert path == env1 / "shared.lrpreset" and entry.source == "env"
    assert load_preset("shared").manifest["title"] == "env1"
    assert load_preset("only-bundled").source == "bundled"

    entries = [e for e in list_presets().entries if e.name == "shared"]
    assert [e.source for e in entries] == ["env", "env", "user", "bundled", "plugin"]
    assert entries[0].shadowed_by is None and all(e.shadowed_by is entries[0] for e in entries[1:])

    out = run("preset", "list").output
    assert "shadowed by env" in out and "precedence: LATENTROOM_PRESET_PATH > user library > bundled > plugins" in out
    data = json.loads(run("preset", "list", "--json").output)
    assert data["precedence"] == ["env", "user", "bundled", "plugin"]
    shared = [p for p in data["presets"] if p["name"] == "shared"]
    assert shared[0]["active"] and not shared[1]["active"] and shared[4]["origin"] == "plugin fakeplugin"
    assert shared[4]["plugin"] == "fakeplugin" and shared[0]["plugin"] is None
    [plugin_row] = [line for line in out.splitlines() if "from plugin" in line]
    assert plugin_row.split()[2] == "plugin:fakeplugin"  # the source names the plugin


def test_invalid_entry_listed_not_fatal(lib: dict) -> None:
    broken = build_preset(lib["user"] / "broken", name="broken")
    (broken / "preset.json").write_text("{")
    result = run("preset", "list")
    assert result.exit_code == 0 and "invalid" in result.output


def test_plugin_system_unavailable(monkeypatch: pytest.MonkeyPatch, lib: dict) -> None:
    monkeypatch.setitem(sys.modules, "latentroom.engine.plugins", None)  # import fails
    listing = list_presets()
    assert listing.notes and "latentroom.engine.plugins is unavailable" in listing.notes[0]
    with pytest.raises(PresetError, match="no preset named 'nope'; no presets are installed"):
        resolve("nope")


def test_unknown_name_lists_available(lib: dict) -> None:
    build_preset(lib["user"] / "warm", name="warm")
    with pytest.raises(PresetError, match="no preset named 'cold'; available: warm"):
        load_preset("cold")


# -- install / remove / pack ----------------------------------------------------------


def test_install_directory_and_force(bundle: Path, lib: dict) -> None:
    result = run("preset", "install", str(bundle))
    assert result.exit_code == 0, result.output
    assert (lib["user"] / "fixture" / "model.onnx").is_file()
    assert load_preset("fixture").source == "user"

    result = run("preset", "install", str(bundle))
    assert result.exit_code == 1 and "already installed" in result.output and "--force" in result.output

    rewrite_manifest(bundle, title="Changed")  # still valid: title is not checksummed
    result = run("preset", "install", str(bundle), "--force", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["name"] == "fixture"
    assert load_preset("fixture").manifest["title"] == "Changed"
    assert sorted(p.name for p in lib["user"].iterdir()) == ["fixture"]  # no temp dirs left


def test_install_packed_and_remove(bundle: Path, tmp_path: Path, lib: dict) -> None:
    packed = pack_bundle(bundle, tmp_path / "x.lrpreset")
    assert run("preset", "install", str(packed)).exit_code == 0
    assert read_bundle(lib["user"] / "fixture").manifest["name"] == "fixture"
    result = run("preset", "remove", "fixture")
    assert result.exit_code == 0 and not (lib["user"] / "fixture").exists()
    result = run("preset", "remove", "fixture")
    assert result.exit_code == 1 and "no preset named 'fixture' in the user library" in result.output


def test_install_invalid_leaves_nothing(bundle: Path, lib: dict) -> None:
    (bundle / "model.onnx").write_bytes(b"tampered")
    result = run("preset", "install", str(bundle))
    assert result.exit_code == 1 and "checksum mismatch" in result.output
    assert not lib["user"].exists() or list(lib["user"].iterdir()) == []


def test_remove_refuses_other_sources(monkeypatch: pytest.MonkeyPatch, bundle: Path, lib: dict) -> None:
    monkeypatch.setenv("LATENTROOM_PRESET_PATH", str(bundle.parent))
    result = run("preset", "remove", "fixture")
    assert result.exit_code == 1 and "not in the user library" in result.output and "env" in result.output
    assert bundle.exists()


def test_pack_is_reproducible_and_refuses_overwrite(bundle: Path, tmp_path: Path) -> None:
    a = pack_bundle(bundle, tmp_path / "a.lrpreset")
    b = pack_bundle(bundle, tmp_path / "b.lrpreset")
    assert a.read_bytes() == b.read_bytes()
    result = run("preset", "pack", str(bundle), "-o", str(a))
    assert result.exit_code == 1 and "already exists" in result.output
    result = run("preset", "pack", str(bundle), "-o", str(a), "--force", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["output"] == str(a)
    with pytest.raises(PresetError, match="must end in .lrpreset"):
        pack_bundle(bundle, tmp_path / "a.zip")


def test_pack_default_name_keeps_the_library_name(
    bundle: Path, lib: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A packed file's library name is its stem: the default file, dropped as is into
    # a library folder, must be found under the manifest's name, not NAME-VERSION.
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    monkeypatch.chdir(shelf)
    result = run("preset", "pack", str(bundle), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["output"] == "fixture.lrpreset"
    monkeypatch.setenv("LATENTROOM_PRESET_PATH", str(shelf))
    path, entry = resolve("fixture")
    assert (path, entry.source) == (shelf / "fixture.lrpreset", "env")


def test_write_bundle_refuses_existing_and_invalid(tmp_path: Path) -> None:
    build_preset(tmp_path / "p")
    with pytest.raises(PresetError, match="already exists"):
        build_preset(tmp_path / "p")
    with pytest.raises(PresetError, match="license: required key is missing"):
        manifest = make_manifest()
        del manifest["license"]
        write_bundle(tmp_path / "q", manifest, b"model")
    assert not (tmp_path / "q").exists()


# -- show / validate ------------------------------------------------------------------


def test_show(bundle: Path) -> None:
    result = run("preset", "show", str(bundle))
    assert result.exit_code == 0
    assert "quality:     good (psnr 30.5, lpips 0.08)" in result.output
    assert "strength:    0..2, default 1" in result.output
    data = json.loads(run("preset", "show", str(bundle), "--json").output)
    assert data["manifest"]["name"] == "fixture" and data["quality"].startswith("good")


def test_validate_ok_and_failures(bundle: Path, tmp_path: Path) -> None:
    result = run("preset", "validate", str(bundle))
    assert result.exit_code == 0, result.output
    for check in ("manifest", "checksum", "self-contained", "onnx checker", "inference"):
        assert f"ok   {check}" in result.output

    data = bytearray((bundle / "model.onnx").read_bytes())
    data[-1] ^= 0xFF
    (bundle / "model.onnx").write_bytes(bytes(data))
    result = run("preset", "validate", str(bundle), "--json")
    report = json.loads(result.output)
    assert result.exit_code == 1 and not report["ok"]
    assert [c["status"] for c in report["checks"]] == ["ok", "fail", "skip", "skip", "skip"]


def test_validate_catches_broken_graph(tmp_path: Path) -> None:
    # Valid manifest and checksum, but the model bytes are not an ONNX graph.
    write_bundle(tmp_path / "junk", make_manifest(), b"\x08\x07not onnx")
    report = json.loads(run("preset", "validate", str(tmp_path / "junk"), "--json").output)
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    assert statuses == {
        "manifest": "ok", "checksum": "ok", "self-contained": "fail", "onnx checker": "skip", "inference": "skip"
    }
    assert "not a well-formed ONNX model" in report["checks"][2]["detail"]


def test_validate_without_onnx(monkeypatch: pytest.MonkeyPatch, bundle: Path) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    result = run("preset", "validate", str(bundle))
    assert result.exit_code == 0 and "skip onnx checker: the onnx package is not installed" in result.output


def test_validate_preview_and_plugins(tmp_path: Path) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buf, "PNG")
    b = build_preset(tmp_path / "p", preview=buf.getvalue(), requires_plugins=[{"name": "no-such-plugin", "version": ">=1"}])
    report = json.loads(run("preset", "validate", str(b), "--json").output)
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    assert statuses["preview"] == "ok" and statuses["plugins"] == "warn" and report["ok"]


def test_demo_preset_script(tmp_path: Path) -> None:
    import numpy as np

    module = load_script("build_demo_preset")
    assert module.main([str(tmp_path / "demo"), "--resolution", "64", "--pack"]) == 0
    assert module.main([str(tmp_path / "demo")]) == 1  # exists, no --force
    preset = load_preset(tmp_path / "demo.lrpreset")
    assert preset.name == "warm-contrast" and preset.preview_bytes is not None
    image = np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    np.testing.assert_array_equal(preset.apply(image, strength=0), image)
    warm = preset.apply(np.full((64, 64, 3), 128, np.uint8)).astype(int)
    assert warm[..., 0].mean() > warm[..., 2].mean() + 10  # red above blue: warmer
    assert read_bundle(tmp_path / "demo").manifest["model"]["sha256"] == preset.manifest["model"]["sha256"]
