"""Presets, archives, manifests, models and images as untrusted input (issue 16).

Each test reproduces one way a hostile or unlucky file got through before: reading
a file outside the bundle, writing outside the output folder, unbounded memory or
disk, a hang, silent garbage, a traceback. Resource cases lower the limits in
engine.limits so they stay small and fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import hostile_models
from latentroom.engine import hookimpl, limits, plugins
from latentroom.engine.apply import BatchInterrupted, apply_files
from latentroom.engine.cli import LatentroomGroup, cli
from latentroom.engine.errors import ImageError, PresetError
from latentroom.engine.imaging import open_image
from latentroom.engine.inputs import collect_inputs
from latentroom.engine.onnx_check import find_external_data
from latentroom.engine.presets import install, list_presets, load_preset, pack_bundle, read_bundle, resolve, write_bundle
from latentroom.engine.presets.bundle import sha256_bytes
from latentroom.engine.presets.preset import Preset
from preset_fixtures import build_preset, isolate_library, make_manifest

R = 8  # hostile models are tiny: their behaviour, not their size, is the point


@pytest.fixture
def lib(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    return isolate_library(monkeypatch, tmp_path)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return build_preset(tmp_path / "fixture")


def plain_bundle(directory: Path, model: bytes, **overrides: Any) -> Path:
    return write_bundle(directory, make_manifest(directory.name, R, strength=False, **overrides), model)


def raw_bundle(directory: Path, manifest: dict[str, Any], model: bytes) -> Path:
    """A bundle written without validation, as an attacker would."""
    directory.mkdir(parents=True)
    manifest["model"]["sha256"] = sha256_bytes(model)
    (directory / "preset.json").write_text(json.dumps(manifest))
    (directory / "model.onnx").write_bytes(model)
    return directory


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def no_traceback(result: Any) -> None:
    assert isinstance(result.exception, SystemExit) or result.exception is None, result.exception
    assert "Traceback" not in result.output


def finishes(action: Callable[[], Any], fifo: Path | None = None, seconds: float = 20) -> Any:
    """Run ``action`` in a thread; fail (instead of hanging) if it does not finish.

    A FIFO that the old code blocked on is opened for writing afterwards, which
    releases the stuck thread so the test run can end.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = action()
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            outcome["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive() and fifo is not None:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not thread.is_alive(), "hung on a special file"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# -- models must be self-contained --------------------------------------------------


def test_external_data_model_cannot_read_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lib: dict
) -> None:
    # The exploit: the model's tensor comes from ./secret.bin, which ORT reads from
    # the working folder, and the bytes come out as pixels.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.bin").write_bytes(bytes(range(3 * R * R)))
    evil = plain_bundle(tmp_path / "evil", hostile_models.exfiltrating(R, "secret.bin"))
    with pytest.raises(PresetError, match="external data"):
        load_preset(evil)
    with pytest.raises(PresetError, match="external data"):
        install(evil)
    assert not lib["user"].exists() or not any(lib["user"].iterdir())
    result = invoke("preset", "validate", str(evil), "--json")
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert {c["check"]: c["status"] for c in report["checks"]}["self-contained"] == "fail"


@pytest.mark.parametrize("build", [hostile_models.external_in_subgraph, hostile_models.external_in_attribute])
def test_external_data_is_found_in_subgraphs_and_attributes(
    build: Callable[[int, str], bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.bin").write_bytes(bytes(range(3 * R * R)))
    with pytest.raises(PresetError, match="external data"):
        load_preset(plain_bundle(tmp_path / "evil", build(R, "secret.bin")))
    assert find_external_data(hostile_models.nan_output(R)) == 0


def test_oversized_model_is_refused(bundle: Path, lib: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    size = (bundle / "model.onnx").stat().st_size
    monkeypatch.setattr(limits, "MAX_MODEL_BYTES", size - 1)
    with pytest.raises(PresetError, match=f"larger than {size - 1} bytes"):
        load_preset(bundle)
    with pytest.raises(PresetError, match="larger than"):
        install(bundle)
    result = invoke("preset", "validate", str(bundle), "--json")
    checks = {c["check"]: c for c in json.loads(result.output)["checks"]}
    assert result.exit_code == 1 and checks["manifest"]["status"] == "fail"
    assert f"model file model.onnx is larger than {size - 1} bytes" in checks["manifest"]["detail"]


# -- output paths from validated names only -------------------------------------------


def test_pack_default_name_cannot_leave_the_working_folder(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    manifest = json.loads((bundle / "preset.json").read_text())
    manifest["version"] = "../../escaped"
    (bundle / "preset.json").write_text(json.dumps(manifest))
    with pytest.raises(PresetError, match="version: expected a version"):
        pack_bundle(bundle)
    assert not list(tmp_path.rglob("escaped*"))


def test_names_are_whole_strings(tmp_path: Path) -> None:
    manifest = make_manifest("smile\n")
    with pytest.raises(PresetError, match="name: expected a name"):
        write_bundle(tmp_path / "x", manifest, b"model")
    manifest = make_manifest("smile")
    manifest["model"]["file"] = "model.onnx\n"
    with pytest.raises(PresetError, match="model.file"):
        write_bundle(tmp_path / "y", manifest, b"model")


# -- bounded archives and manifests ---------------------------------------------------


def repack(bundle: Path, out: Path, extra: Callable[[zipfile.ZipFile], None] | None = None,
           plain_writestr: bool = False) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in sorted(bundle.iterdir()):
            if plain_writestr:
                zf.writestr(member.name, member.read_bytes())  # no file-type bits
            else:
                zf.write(member, member.name)
        if extra is not None:
            extra(zf)
    return out


def test_zip_entries_without_file_type_bits_are_plain_files(bundle: Path, tmp_path: Path) -> None:
    packed = repack(bundle, tmp_path / "plain.lrpreset", plain_writestr=True)
    assert load_preset(packed).name == "fixture"


def test_inflating_entries_are_cut_off_while_streaming(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lib: dict
) -> None:
    monkeypatch.setattr(limits, "MAX_MANIFEST_BYTES", 4096)
    manifest = json.loads((bundle / "preset.json").read_text())
    manifest["x-padding"] = " " * 100_000  # deflates to almost nothing
    (bundle / "preset.json").write_text(json.dumps(manifest))
    packed = repack(bundle, tmp_path / "bomb.lrpreset")
    assert packed.stat().st_size < 100_000
    with pytest.raises(PresetError, match="inflates to more than 4096 bytes"):
        install(packed)


def test_a_folder_bundle_manifest_is_read_within_its_limit(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_MANIFEST_BYTES", 4096)
    manifest = json.loads((bundle / "preset.json").read_text())
    manifest["x-padding"] = " " * 5000
    (bundle / "preset.json").write_text(json.dumps(manifest))
    with pytest.raises(PresetError, match="manifest preset.json is larger than 4096 bytes"):
        read_bundle(bundle)


def test_a_bundle_is_bounded_in_total_while_streaming(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = repack(bundle, tmp_path / "whole.lrpreset")
    total = sum(p.stat().st_size for p in bundle.iterdir())
    # Every entry is within its own limit; together they are not.
    monkeypatch.setattr(limits, "MAX_BUNDLE_BYTES", total - 1)
    with pytest.raises(PresetError, match=f"inflates to more than|larger than {total - 1}"):
        load_preset(packed)


def test_extra_archive_entries_never_reach_the_library(bundle: Path, tmp_path: Path, lib: dict) -> None:
    packed = repack(bundle, tmp_path / "junk.lrpreset", lambda zf: zf.writestr("junk.bin", b"\0" * 5_000_000))
    target = install(packed)
    assert sorted(p.name for p in target.iterdir()) == ["model.onnx", "preset.json"]


def test_archive_entry_count_is_bounded(bundle: Path, tmp_path: Path, lib: dict) -> None:
    def many(zf: zipfile.ZipFile) -> None:
        for i in range(limits.MAX_ARCHIVE_ENTRIES):
            zf.writestr(f"junk{i}", b"x")

    with pytest.raises(PresetError, match=f"the limit is {limits.MAX_ARCHIVE_ENTRIES}"):
        install(repack(bundle, tmp_path / "many.lrpreset", many))


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"x-deep": ' + "[" * 5000 + "]" * 5000 + "}", "deeper than 32 levels"),
        ('{"schema_version": ' + "9" * 5000 + "}", "a number of 5000 characters"),
    ],
)
def test_absurd_manifests_are_messages_and_do_not_break_the_listing(
    bundle: Path, lib: dict, text: str, message: str
) -> None:
    hostile = lib["user"] / "hostile"
    hostile.mkdir(parents=True)
    (hostile / "preset.json").write_text(text)
    with pytest.raises(PresetError, match=message):
        read_bundle(hostile)
    install(bundle)
    listing = {e.name: e for e in list_presets().entries}
    assert message in listing["hostile"].error and listing["fixture"].error is None
    result = invoke("preset", "list")
    no_traceback(result)
    assert result.exit_code == 0 and "fixture" in result.output


def test_resolution_is_bounded() -> None:
    from latentroom.engine.presets import validate_manifest

    problems = validate_manifest(make_manifest(resolution=100_000))
    assert problems == ["io.resolution: expected an integer from 8 to 2048, got 100000"]


# -- only regular files -------------------------------------------------------------


def test_fifo_in_a_bundle_is_refused_without_hanging(bundle: Path, lib: dict) -> None:
    model = bundle / "model.onnx"
    model.unlink()
    os.mkfifo(model)
    with pytest.raises(PresetError, match="FIFO"):
        finishes(lambda: install(bundle), fifo=model)


def test_symlink_in_a_bundle_is_refused(bundle: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.onnx"
    (bundle / "model.onnx").rename(outside)
    (bundle / "model.onnx").symlink_to(outside)
    with pytest.raises(PresetError, match="symbolic link"):
        read_bundle(bundle)


def test_fifo_named_like_an_image_does_not_hang_the_batch(bundle: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("RGB", (40, 30), (200, 100, 50)).save(folder / "a.png")
    os.mkfifo(folder / "x.png")
    files, _ = collect_inputs([str(folder)])
    report = finishes(lambda: apply_files(load_preset(bundle), files, tmp_path / "out"), fifo=folder / "x.png")
    errors = {r.input.name: r.error for r in report.results if r.error}
    assert report.count("written") == 1 and "FIFO" in errors["x.png"]


def test_a_file_digest_is_streamed_bounded_and_regular_only(tmp_path: Path) -> None:
    import hashlib

    from latentroom.engine.regular_files import TooLarge, sha256_regular

    data = bytes(range(256)) * 9000  # a little over two 1 MiB chunks
    path = tmp_path / "weights.pt"
    path.write_bytes(data)
    assert sha256_regular(path, len(data)) == hashlib.sha256(data).hexdigest()
    with pytest.raises(TooLarge, match=f"larger than {len(data) - 1} bytes"):
        sha256_regular(path, len(data) - 1)
    fifo = tmp_path / "fifo.pt"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO"):
        finishes(lambda: sha256_regular(fifo, 1 << 20), fifo=fifo)


# -- image memory budget --------------------------------------------------------------


def test_image_decoding_is_bounded_in_bytes_not_pixels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "deep.png"
    Image.fromarray(np.zeros((60, 50, 4), np.uint8), "RGBA").save(path)
    monkeypatch.setattr(limits, "MAX_IMAGE_BYTES", 60 * 50 * 4 - 1)
    with pytest.raises(ImageError, match="takes 12000 bytes decoded; the limit is 11999"):
        open_image(path)
    monkeypatch.setattr(limits, "MAX_IMAGE_BYTES", 60 * 50 * 4)
    assert open_image(path).size == (50, 60)


def test_a_batch_holds_decoded_images_within_the_budget(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import latentroom.engine.apply as apply_module

    files, _ = collect_inputs([str(photos(tmp_path / "in", 12))])  # 24x20 RGB: 1440 bytes each
    monkeypatch.setattr(limits, "MAX_INFLIGHT_IMAGE_BYTES", 2 * 1440)
    alive, most, lock = [0], [0], threading.Lock()
    real_decode, real_encode = apply_module.decode_input, apply_module._encode

    def decode(*args: Any) -> Any:
        with lock:
            alive[0] += 1
            most[0] = max(most[0], alive[0])
        return real_decode(*args)

    def encode(*args: Any) -> Any:
        try:
            return real_encode(*args)
        finally:
            with lock:
                alive[0] -= 1

    monkeypatch.setattr(apply_module, "decode_input", decode)
    monkeypatch.setattr(apply_module, "_encode", encode)
    report = apply_files(load_preset(bundle), files, tmp_path / "out", batch_size=8, workers=4)
    assert report.count("written") == 12 and most[0] == 2


# -- model outputs are checked --------------------------------------------------------


@pytest.mark.parametrize(
    "build, message",
    [(hostile_models.nan_output, "NaN or infinite"), (hostile_models.half_size_output, r"expected float32 \[1, 3, 8, 8\]")],
)
def test_bad_model_output_is_an_error_naming_the_preset(
    tmp_path: Path, build: Callable[[int], bytes], message: str
) -> None:
    preset = load_preset(plain_bundle(tmp_path / "broken", build(R)))
    photo = Image.new("RGB", (20, 16), (10, 200, 30))
    with pytest.raises(PresetError, match=f"preset 'broken'.*{message}"):
        preset.apply(photo)
    (tmp_path / "in").mkdir()
    photo.save(tmp_path / "in" / "a.png")
    result = invoke("apply", str(tmp_path / "broken"), str(tmp_path / "in"), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.exit_code == 1 and "preset 'broken'" in result.output
    assert not (tmp_path / "out" / "a.png").exists()


# -- terminals ------------------------------------------------------------------------


def test_manifest_text_is_shown_with_control_characters_escaped(tmp_path: Path) -> None:
    build_preset(tmp_path / "loud", name="loud", title="Loud\x1b[2J\x1b]0;pwned\x07", description="a\x9bb")
    result = invoke("preset", "show", str(tmp_path / "loud"))
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\x9b" not in result.output and "\x07" not in result.output
    assert "Loud\\x1b[2J" in result.output


# -- interrupts and write failures ------------------------------------------------------


def interrupt_on_second_run(monkeypatch: pytest.MonkeyPatch) -> None:
    real_run, calls = Preset.run, []

    def run(self: Preset, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C arrives while the model runs
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(Preset, "run", run)


def photos(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        Image.new("RGB", (24, 20), (i * 20, 100, 50)).save(folder / f"p{i}.png")
    return folder


def test_ctrl_c_stops_the_batch_and_exits_130(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photos(tmp_path / "in", 6)
    interrupt_on_second_run(monkeypatch)
    result = invoke("apply", str(bundle), str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--batch-size", "2")
    assert result.exit_code == 130, result.output
    # The first batch's writes may finish or be cancelled; the other four never start.
    written = sorted(p.name for p in (tmp_path / "out").iterdir())  # and no temporaries
    assert set(written) <= {"p0.png", "p1.png"}
    assert f"interrupted; {len(written)} written, 0 skipped, 0 failed" in result.output
    assert f"{6 - len(written)} not started" in result.output


def test_ctrl_c_in_the_python_api_raises_with_the_report(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, _ = collect_inputs([str(photos(tmp_path / "in", 4))])
    interrupt_on_second_run(monkeypatch)
    with pytest.raises(BatchInterrupted) as stop:
        apply_files(load_preset(bundle), files, tmp_path / "out", batch_size=2)
    written = stop.value.report.count("written")
    assert written <= 2 and written + stop.value.not_started == 4
    assert len(list((tmp_path / "out").iterdir())) == written


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_resumed_run_removes_stale_temporaries_it_owns(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f".p0.png.{dead_pid()}.k1ll3d00.tmp"
    alive = out / f".p0.png.{os.getpid()}.running.tmp"  # a write still in progress
    unrelated = out / f".notes.txt.{dead_pid()}.abcdefgh.tmp"
    for path in (stale, alive, unrelated):
        path.write_bytes(b"half")
    files, _ = collect_inputs([str(photos(tmp_path / "in", 1))])
    apply_files(load_preset(bundle), files, out, skip_existing=True)
    assert not stale.exists() and alive.exists() and unrelated.exists()


def test_write_failure_names_the_real_output_path(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, _ = collect_inputs([str(photos(tmp_path / "in", 1))])

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied", src)  # the OSError names the temp file

    monkeypatch.setattr(os, "link", refuse)
    monkeypatch.setattr(os, "replace", refuse)
    report = apply_files(load_preset(bundle), files, tmp_path / "out")
    error = report.results[0].error
    assert error.endswith(f"{tmp_path / 'out' / 'p0.png'}: cannot write image: Permission denied") and ".tmp" not in error


def test_unwritable_output_folder_and_library_are_messages(bundle: Path, tmp_path: Path, lib: dict,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    photos(tmp_path / "in", 1)
    result = invoke("apply", str(bundle), str(tmp_path / "in"), "-o", str(blocker / "out"))
    no_traceback(result)
    assert result.exit_code == 1 and "cannot create the output folder" in result.output
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    result = invoke("preset", "install", str(bundle))
    no_traceback(result)
    assert result.exit_code == 1 and "cannot install into the user library" in result.output
    result = invoke("preset", "pack", str(bundle), "-o", str(blocker / "fixture.lrpreset"))
    no_traceback(result)  # no dedicated handler: the command line's OSError net
    assert result.exit_code == 1 and f"Error: {blocker}" in result.output


# -- plugins ----------------------------------------------------------------------------


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> plugins.Registry:
    monkeypatch.setenv("LATENTROOM_LOAD_PLUGINS", "")
    monkeypatch.setenv("LATENTROOM_DISABLE_PLUGINS", "directions,distill,inverters,stylegan2,toyfaces")
    plugins.reset()
    yield plugins.registry()
    plugins.reset()


def test_a_hook_calling_sys_exit_is_a_plugin_error(fresh: plugins.Registry) -> None:
    class Quitter:
        @hookimpl
        def register_presets(self, register: Any) -> None:
            sys.exit(0)

    plugins.register_plugin(Quitter(), name="quitter")
    assert [(e.stage, e.message.startswith("SystemExit")) for e in fresh.errors] == [("register_presets", True)]


def test_a_non_command_put_into_the_cli_is_dropped(fresh: plugins.Registry) -> None:
    class Vandal:
        @hookimpl
        def register_commands(self, cli: Any) -> None:
            cli.commands["broken"] = 42

    plugins.register_plugin(Vandal(), name="vandal")
    group = LatentroomGroup(name="latentroom")
    runner = CliRunner()
    assert runner.invoke(group, ["no-such-command"]).exit_code == 2  # loads plugin commands
    result = runner.invoke(group, ["--help"])
    assert result.exit_code == 0 and "broken" not in result.output, result.output
    assert "not a click command" in fresh.errors[0].message


def test_bundled_preset_by_name_imports_no_plugins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dirs = isolate_library(monkeypatch, tmp_path)
    build_preset(dirs["bundled"] / "shared", name="shared", title="bundled")
    loaded: list[str] = []
    sys.modules["latentroom.engine.plugins"].registry = lambda: loaded.append("plugins") or None  # type: ignore[attr-defined]
    # A folder in the working directory named like the preset is not the preset.
    monkeypatch.chdir(tmp_path)
    build_preset(tmp_path / "shared", name="shared", title="working folder")
    path, entry = resolve("shared")
    assert entry.source == "bundled" and load_preset("shared").manifest["title"] == "bundled"
    assert loaded == []
    assert load_preset("./shared").manifest["title"] == "working folder"
