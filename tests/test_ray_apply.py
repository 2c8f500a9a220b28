"""The Ray engine: same outputs and per-file errors as the local path, on a local Ray instance."""

from __future__ import annotations

import io
import os
import signal
import threading
import zipfile
from pathlib import Path

import pytest
import ray
import ray.data
from click.testing import CliRunner
from PIL import Image

from latentroom.engine.atomic import atomic_write
from latentroom.engine.cli import cli
from latentroom.engine.errors import PresetError
from latentroom.engine.presets import load_preset, sha256_bytes
from latentroom.engine.ray_apply import RESULT_COLUMNS, ShippedPreset, apply_dataset, collect_uri_inputs, ship_preset
from preset_fixtures import build_preset

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BAD = ("broken.png", "notes.jpg", "cut.jpg")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def preset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_preset(tmp_path_factory.mktemp("p") / "fixture", resolution=32)


def photo_folder(folder: Path) -> Path:
    """The example faces in the formats and modes photos come in, plus three bad files."""
    faces = sorted(EXAMPLES.glob("face-*.png"))
    folder.mkdir()
    (folder / "sub").mkdir()
    for i, face in enumerate(faces):
        img = Image.open(face).convert("RGB")
        if i % 4 == 0:
            img.save(folder / f"face{i}.png")
        elif i % 4 == 1:
            img.save(folder / f"face{i}.jpg", quality=90)
        elif i % 4 == 2:
            img.convert("L").save(folder / "sub" / f"face{i}.png")
        else:
            img.putalpha(200)
            img.resize((90, 70)).save(folder / "sub" / f"face{i}.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (folder / "notes.jpg").write_text("not an image")
    jpeg = (folder / "face1.jpg").read_bytes()
    (folder / "sub" / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    return folder


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ray_cli_matches_local_byte_for_byte(local_ray, preset_dir: Path, tmp_path: Path) -> None:
    photos = photo_folder(tmp_path / "photos")
    common = [str(preset_dir), str(photos), "--compare", "--batch-size", "3", "--strength", "1.5"]
    local = CliRunner().invoke(cli, ["apply", *common, "-o", str(tmp_path / "local")])
    remote = CliRunner().invoke(cli, ["apply", *common, "-o", str(tmp_path / "ray"), "--engine", "ray"])

    assert local.exit_code == remote.exit_code == 1  # bad files fail, the run does not
    assert "8 written, 0 skipped, 3 failed" in local.output
    assert "8 written, 0 skipped, 3 failed" in remote.output
    for name in BAD:
        errors = [line for line in remote.output.splitlines() if line.startswith("error:") and name in line]
        assert len(errors) == 1 and "cannot read image" in errors[0]
    written = files_under(tmp_path / "local")
    assert len(written) == 16  # 8 edits + 8 comparisons
    assert files_under(tmp_path / "ray") == written

    # The same folder as a URI: listed and read through the filesystem layer object stores use.
    uri = [str(preset_dir), photos.as_uri(), "--compare", "--batch-size", "3", "--strength", "1.5"]
    remote = CliRunner().invoke(cli, ["apply", *uri, "-o", str(tmp_path / "uri"), "--engine", "ray"])
    assert remote.exit_code == 1 and "8 written, 0 skipped, 3 failed" in remote.output
    assert files_under(tmp_path / "uri") == written


def test_apply_dataset_rows(local_ray, preset_dir: Path, tmp_path: Path) -> None:
    photos = photo_folder(tmp_path / "photos")
    CliRunner().invoke(cli, ["apply", str(preset_dir), str(photos), "-o", str(tmp_path / "local")])
    # Two actors take both CPUs; a read needing a CPU of its own would wait for ever.
    ds = ray.data.read_binary_files(str(photos), include_paths=True, num_cpus=0, concurrency=1)
    rows = apply_dataset(ds, load_preset(preset_dir), batch_size=4, concurrency=2).take_all()

    assert len(rows) == 11 and all(set(row) == set(RESULT_COLUMNS) for row in rows)
    by_name = {Path(row["path"]).name: row for row in rows}
    for name in BAD:
        row = by_name[name]
        assert row["image"] is None and row["error"].startswith(row["path"]) and "cannot read image" in row["error"]
    for path, data in files_under(tmp_path / "local").items():
        row = by_name[Path(path).name]
        assert row["error"] is None and row["compare"] is None
        assert row["image"] == data


def test_shipped_preset_is_verified(preset_dir: Path) -> None:
    shipped = ship_preset(preset_dir)
    assert shipped.load().name == "fixture"

    damaged = ShippedPreset(shipped.path, shipped.packed[:-1] + b"x", shipped.sha256)
    with pytest.raises(PresetError, match="arrived damaged"):
        damaged.load()

    # Re-signed in transit with a different model: the bundle's own checksum catches it.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(shipped.packed)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data + b"\0" if info.filename == "model.onnx" else data)
    forged = ShippedPreset(shipped.path, out.getvalue(), sha256_bytes(out.getvalue()))
    with pytest.raises(PresetError, match="checksum mismatch for model.onnx"):
        forged.load()


def test_uri_listing_errors(local_ray, tmp_path: Path) -> None:
    missing = (tmp_path / "missing").as_uri()
    _, files, errors = collect_uri_inputs([missing, "nosuchscheme://bucket/photos"])
    assert files == [] and len(errors) == 2
    assert str(errors[0]) == f"{missing}: no such file or directory"
    assert str(errors[1]).startswith("nosuchscheme://bucket/photos: cannot open")


def test_engine_options_checked() -> None:
    result = CliRunner().invoke(cli, ["apply", "x", "y", "-o", "z", "--address", "auto"])
    assert result.exit_code == 2 and "--address needs --engine ray" in result.output
    result = CliRunner().invoke(cli, ["apply", "x", "y", "-o", "z", "--engine", "ray", "--provider", "cuda"])
    assert result.exit_code == 2 and "CPU actors" in result.output
    result = CliRunner().invoke(cli, ["apply", "x", "s3://bucket/photos", "-o", "z"])
    assert result.exit_code == 2 and "URIs (scheme://...) need --engine ray" in result.output
    result = CliRunner().invoke(cli, ["apply", "x", "s3://bucket/photos", "photos/", "-o", "z", "--engine", "ray"])
    assert result.exit_code == 2 and "not both" in result.output


def test_apply_dataset_checks_strength_before_starting_actors(local_ray, preset_dir: Path) -> None:
    with pytest.raises(PresetError, match=r"strength 9 is outside the range \[0, 2\]"):
        apply_dataset(ray.data.range(1), preset_dir, strength=9.0)


def test_ray_face_preset_matches_local_and_copies_faceless_photos(local_ray, tmp_path: Path) -> None:
    import skimage.data

    from latentroom.engine.presets import read_bundle, write_bundle
    from latentroom.plugins.toyfaces.alignment import alignment_section

    bundle = read_bundle(Path(__file__).resolve().parents[1] / "presets" / "age")
    manifest = dict(bundle.manifest, alignment=alignment_section(bundle.manifest["io"]["resolution"]))
    aligned = write_bundle(tmp_path / "age-aligned", manifest, bundle.model_bytes)
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(skimage.data.astronaut()).save(photos / "astronaut.jpg", quality=92)
    Image.fromarray(skimage.data.coffee()).save(photos / "coffee.jpg", quality=92)
    common = [str(aligned), str(photos), "--compare"]
    local = CliRunner().invoke(cli, ["apply", *common, "-o", str(tmp_path / "local")])
    remote = CliRunner().invoke(cli, ["apply", *common, "-o", str(tmp_path / "ray"), "--engine", "ray"])

    assert local.exit_code == remote.exit_code == 0, remote.output
    for result in (local, remote):
        assert "1 written, 0 skipped, 0 failed, 1 without a face (unchanged)" in result.output
    assert files_under(tmp_path / "ray") == files_under(tmp_path / "local")
    assert (tmp_path / "ray" / "coffee.jpg").read_bytes() == (photos / "coffee.jpg").read_bytes()
    assert sorted(files_under(tmp_path / "ray")) == ["astronaut.jpg", "astronaut_compare.jpg", "coffee.jpg"]


# -- untrusted inputs and interrupts (issue #16): as the local engine -------------------


def plain_photos(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        Image.new("RGB", (24, 20), (i * 20, 100, 50)).save(folder / f"p{i}.png")
    return folder


@pytest.fixture
def no_hang():
    """Fail instead of hanging (a FIFO read would block for ever)."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("the ray engine hung")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(240)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_ray_reads_only_regular_files(local_ray, preset_dir: Path, tmp_path: Path, no_hang: None) -> None:
    photos = plain_photos(tmp_path / "in", 3)
    os.mkfifo(photos / "stuck.png")  # opening it for reading would wait for a writer for ever
    result = CliRunner().invoke(cli, ["apply", str(preset_dir), str(photos), "-o", str(tmp_path / "out"),
                                      "--engine", "ray"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "stuck.png" in errors[0] and "FIFO" in errors[0]
    assert "3 written, 0 skipped, 1 failed" in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0.png", "p1.png", "p2.png"]


def test_ray_ctrl_c_exits_130_with_summary_and_no_temporaries(
    local_ray, preset_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import latentroom.engine.ray_apply as ray_apply

    real_write, calls = ray_apply.write_encoded, []

    def write(data: bytes, path: Path, *, overwrite: bool = False) -> None:
        calls.append(path)
        if len(calls) < 2:
            return real_write(data, path, overwrite=overwrite)

        def half_then_ctrl_c(f) -> None:
            f.write(data[: len(data) // 2])
            raise KeyboardInterrupt  # Ctrl-C arrives while the second output is being written

        atomic_write(path, half_then_ctrl_c, overwrite=overwrite)

    monkeypatch.setattr(ray_apply, "write_encoded", write)
    photos = plain_photos(tmp_path / "in", 6)
    before = set(threading.enumerate())
    result = CliRunner().invoke(cli, ["apply", str(preset_dir), str(photos), "-o", str(tmp_path / "out"),
                                      "--engine", "ray", "--batch-size", "2"])
    assert result.exit_code == 130, result.output
    assert "interrupted; 1 written, 0 skipped, 0 failed" in result.output
    assert "5 not started" in result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == [calls[0].name]  # no temporary left
    # The interrupted iteration is over: no Ray Data thread of it still runs (its block
    # prefetcher stays parked, idle). One still dropping object refs while ray.shutdown()
    # runs (ray_instance's after a real Ctrl-C; here, local_ray's teardown) makes Ray end
    # the process at once with status 1, and pytest with it, before any summary.
    left = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert set(left) <= {"Prefetcher"}, left
