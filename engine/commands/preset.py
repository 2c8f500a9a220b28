"""``latentroom preset``: list, show, install, remove, pack and validate presets.

Imports only click at module level; onnx is imported lazily by ``validate`` alone,
and torch never.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from latentroom.engine.terminal import printable

PRECEDENCE = "LATENTROOM_PRESET_PATH > user library > bundled > plugins"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


@click.group("preset")
def preset_group() -> None:
    """Manage preset bundles (search order: LATENTROOM_PRESET_PATH, user library, bundled, plugins)."""


@preset_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def list_command(as_json: bool) -> None:
    """List presets from every source, marking shadowed and invalid entries."""
    from latentroom.engine.presets.library import SOURCE_ORDER, list_presets, user_library

    listing = list_presets()
    if as_json:
        _echo_json(
            {
                "precedence": list(SOURCE_ORDER),
                "user_library": str(user_library()),
                "presets": [e.to_json() for e in listing.entries],
                "notes": listing.notes,
            }
        )
        return
    for note in listing.notes:
        click.echo(f"note: {note}", err=True)
    if not listing.entries:
        click.echo(f"no presets found (user library: {user_library()})")
        return
    rows = []
    for e in listing.entries:
        if e.error:
            status = "invalid"
        elif e.shadowed_by is not None:
            status = f"shadowed by {e.shadowed_by.label}"
        else:
            status = "active"
        m = e.manifest or {}
        cells = (e.name, m.get("version", "-"), e.label, status, m.get("title", "-"), str(e.path))
        rows.append(tuple(printable(str(c)) for c in cells))
    header = ("NAME", "VERSION", "SOURCE", "STATUS", "TITLE", "PATH")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(5)]
    for r in [header] + rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5])
    click.echo(f"\nprecedence: {PRECEDENCE}")
    for e in listing.entries:
        if e.error:
            click.echo("invalid: " + "\n".join(map(printable, e.error.splitlines())), err=True)


@preset_group.command("show")
@click.argument("preset")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest and its details as JSON.")
def show_command(preset: str, as_json: bool) -> None:
    """Show a preset's manifest (verified: schema and model checksum)."""
    from latentroom.engine.alignment import describe
    from latentroom.engine.presets import quality_label, read_bundle, resolve

    path, entry = resolve(preset)
    bundle = read_bundle(path)
    m = bundle.manifest
    quality = quality_label(m["metrics"])
    if as_json:
        _echo_json(
            {
                "path": str(path),
                "source": entry.source if entry else "path",
                "plugin": entry.plugin if entry else None,
                "quality": quality,
                "has_preview": bundle.preview_bytes is not None,
                "faces": describe(m),
                "manifest": m,
            }
        )
        return
    s, io, prov = m["strength"], m["io"], m["provenance"]
    lines = [
        f"{m['title']}  ({m['name']} {m['version']})",
        f"  {m['description']}" if m["description"] else None,
        f"path:        {path} ({entry.label if entry else 'path'})",
        f"author:      {m['author'] or '-'}",
        f"license:     {m['license']}",
        f"quality:     {quality}",
        f"resolution:  {io['resolution']}x{io['resolution']} {io['channel_order']} {io['layout']}, "
        f"values {io['value_range'][0]:g}..{io['value_range'][1]:g}",
        f"faces:       {describe(m)}",
        "strength:    none"
        if s is None
        else f"strength:    {s['min']:g}..{s['max']:g}, default {s['default']:g} (input {s['input']!r})",
        f"model:       {m['model']['file']} opset {m['model']['opset']}, sha256 {m['model']['sha256'][:16]}..., "
        f"{_size(len(bundle.model_bytes))}",
        f"generator:   {prov['generator']}"
        + (f" (weights sha256 {prov['generator_weights_sha256'][:16]}...)" if prov["generator_weights_sha256"] else ""),
        f"direction:   {prov['attribute']} via {prov['direction_source']}, layers "
        + ("all" if prov["layers"] is None else ",".join(map(str, prov["layers"]))),
        "metrics:     " + (", ".join(f"{k}={v:g}" for k, v in m["metrics"].items()) or "none"),
        "plugins:     " + (", ".join(f"{p['name']} {p['version']}" for p in m["requires_plugins"]) or "none"),
        f"preview:     {'yes' if bundle.preview_bytes is not None else 'no'}",
    ]
    click.echo("\n".join(printable(line) for line in lines if line is not None))


@preset_group.command("install")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an installed preset of the same name.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def install_command(source: Path, force: bool, as_json: bool) -> None:
    """Install a bundle directory or .lrpreset file into the user library."""
    from latentroom.engine.presets import install
    from latentroom.engine.presets.bundle import read_manifest_only

    target = install(source, force=force)
    m = read_manifest_only(target)  # install() has already verified the model; do not hash it again
    if as_json:
        _echo_json({"name": m["name"], "version": m["version"], "path": str(target)})
    else:
        click.echo(f"installed {m['name']} {m['version']} to {target}")


@preset_group.command("remove")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def remove_command(name: str, as_json: bool) -> None:
    """Remove a preset from the user library."""
    from latentroom.engine.presets import remove

    path = remove(name)
    if as_json:
        _echo_json({"name": name, "removed": str(path)})
    else:
        click.echo(f"removed {name} ({path})")


@preset_group.command("pack")
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: NAME.lrpreset in the current directory, so that the file, "
                   "shipped as is, keeps the preset's name in a library).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def pack_command(source: str, output: Path | None, force: bool, as_json: bool) -> None:
    """Pack a bundle (name, directory or .lrpreset) into one .lrpreset file."""
    from latentroom.engine.presets import pack_bundle, resolve

    path, _ = resolve(source)
    out = pack_bundle(path, output, overwrite=force)
    if as_json:
        _echo_json({"source": str(path), "output": str(out), "bytes": out.stat().st_size})
    else:
        click.echo(f"packed {path} -> {out}")


def run_checks(spec: str, provider: str = "cpu") -> tuple[str, list[dict[str, str]]]:
    """Run every validation check on a bundle; returns (bundle path, checks).

    Each check is ``{"check", "status" ("ok"/"fail"/"skip"/"warn"), "detail"}``.
    Later checks that depend on a failed one are reported as skipped, not run.
    """
    import numpy as np

    from latentroom.engine.errors import PresetError
    from latentroom.engine.onnx_check import check_self_contained
    from latentroom.engine.presets import read_bundle, resolve
    from latentroom.engine.presets.bundle import check_model_checksum
    from latentroom.engine.presets.preset import Preset

    checks: list[dict[str, str]] = []

    def add(name: str, status: str, detail: str) -> None:
        checks.append({"check": name, "status": status, "detail": detail})

    try:
        path, _ = resolve(spec)
    except PresetError as e:
        add("locate", "fail", e.message)
        return spec, checks
    try:
        bundle = read_bundle(path, verify_checksum=False)
        add("manifest", "ok", f"schema version {bundle.manifest['schema_version']}, name {bundle.manifest['name']}")
    except PresetError as e:
        add("manifest", "fail", e.message)
        for name in ("checksum", "self-contained", "onnx checker", "inference"):
            add(name, "skip", "manifest invalid")
        return str(path), checks
    try:
        check_model_checksum(bundle)  # over the bytes just read: the model is not read twice
        add("checksum", "ok", f"sha256 {bundle.manifest['model']['sha256']}")
    except PresetError as e:
        add("checksum", "fail", e.message)
        for name in ("self-contained", "onnx checker", "inference"):
            add(name, "skip", "checksum failed; the model is not the one the manifest describes")
        return str(path), checks
    try:
        check_self_contained(bundle.model_bytes, str(path))
        add("self-contained", "ok", f"{len(bundle.model_bytes)} bytes, no external data")
    except PresetError as e:
        add("self-contained", "fail", e.message)
        for name in ("onnx checker", "inference"):
            add(name, "skip", "the model is not self-contained; it is never loaded")
        return str(path), checks

    try:
        import onnx
    except ImportError:
        add("onnx checker", "skip", "the onnx package is not installed (pip install onnx to run it)")
    else:
        try:
            model = onnx.load_from_string(bundle.model_bytes)
            onnx.checker.check_model(model)
            opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
            declared = bundle.manifest["model"]["opset"]
            if opsets.get("ai.onnx") != declared:
                add("onnx checker", "fail", f"model opset is {opsets.get('ai.onnx')}, preset.json says {declared}")
            else:
                add("onnx checker", "ok", f"opset {declared}")
        except Exception as e:
            add("onnx checker", "fail", f"{type(e).__name__}: {e}")

    try:
        preset = Preset(bundle, provider=provider)
        r = preset.resolution
        # A smooth gradient: any real image-to-image model gives finite output on it.
        ramp = np.linspace(0, 1, r, dtype=np.float32)
        test = np.stack([np.stack([ramp[None, :].repeat(r, 0), ramp[:, None].repeat(r, 1),
                                   np.full((r, r), 0.5, np.float32)], axis=2)] * 2)
        s = bundle.manifest["strength"]
        strengths = [None] if s is None else sorted({s["min"], s["default"], s["max"]})
        for value in strengths:
            out = preset.run(test, value)
            if out.shape != test.shape:
                raise PresetError(f"output shape {list(out.shape)} differs from input {list(test.shape)}")
            if not np.isfinite(out).all():
                raise PresetError(f"output has NaN or infinite values at strength {value}")
        tried = "" if s is None else " at strength " + ", ".join(f"{v:g}" for v in strengths)
        add("inference", "ok", f"batch of 2 at {r}x{r} on {preset.provider}{tried}")
    except PresetError as e:
        add("inference", "fail", e.message)
    except Exception as e:
        add("inference", "fail", f"{type(e).__name__}: {e}")

    if bundle.preview_bytes is not None:
        import io

        from PIL import Image

        try:
            with Image.open(io.BytesIO(bundle.preview_bytes)) as img:
                img.load()
            add("preview", "ok", f"{img.format} {img.width}x{img.height}")
        except Exception as e:
            add("preview", "fail", f"preview image unreadable: {e}")

    required = bundle.manifest["requires_plugins"]
    if required:
        from importlib.metadata import entry_points

        installed = {ep.name for ep in entry_points(group="latentroom")}
        missing = [p["name"] for p in required if p["name"] not in installed]
        if missing:
            # Applying never needs plugins; this only matters for re-authoring.
            add("plugins", "warn", f"not installed: {', '.join(missing)} (applying does not need them)")
        else:
            add("plugins", "ok", ", ".join(p["name"] for p in required))
    return str(path), checks


@preset_group.command("validate")
@click.argument("preset")
@click.option("--provider", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True,
              help="Provider for the test inference.")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def validate_command(preset: str, provider: str, as_json: bool) -> None:
    """Check a bundle: schema, checksum, ONNX checker and a test inference."""
    where, checks = run_checks(preset, provider)
    ok = all(c["status"] != "fail" for c in checks)
    if as_json:
        _echo_json({"bundle": where, "ok": ok, "checks": checks})
    else:
        click.echo(f"validating {where}")
        for c in checks:
            label = {"ok": "ok  ", "fail": "FAIL", "skip": "skip", "warn": "warn"}[c["status"]]
            click.echo(f"  {label} {c['check']}: {printable(c['detail'])}")
        click.echo("valid" if ok else "INVALID")
    if not ok:
        click.get_current_context().exit(1)
