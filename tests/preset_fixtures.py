"""Real preset bundles for tests and benchmarks, built by exporting torch modules.

Importable from tests (``from preset_fixtures import build_preset``) and from
benchmarks (after putting ``tests/`` on ``sys.path``). torch and onnx are needed to
*build* fixtures; applying them must not need either.

Models (all take ``image`` ``[N, 3, R, R]`` in ``[-1, 1]`` and return ``edited``):

* ``additive``: ``image + strength * delta(image)``, ``strength`` ``[N]``; at
  strength 0 the output equals the input exactly;
* ``plain``: no strength input, ``image + 0.2 * delta(image)``;
* ``student``: a realistic distilled student (~1M parameters: strided conv encoder,
  three residual blocks at 1/4 resolution, transposed-conv decoder) with strength,
  for benchmarks.
"""

from __future__ import annotations

import functools
import io
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from latentroom.engine.presets import write_bundle
from latentroom.engine.presets.manifest_builder import EditProvenance, StrengthRange, build_manifest

OPSET = 17


class AdditiveNet(nn.Module):
    def __init__(self, strength: bool = True) -> None:
        super().__init__()
        self.strength = strength
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1))
        torch.manual_seed(0)
        for p in self.parameters():
            nn.init.normal_(p, std=0.3)

    def forward(self, image: torch.Tensor, strength: torch.Tensor | None = None) -> torch.Tensor:
        delta = torch.tanh(self.body(image)) * 0.5
        if self.strength:
            return image + strength.view(-1, 1, 1, 1) * delta
        return image + 0.2 * delta


class ResBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.a = nn.Conv2d(c, c, 3, padding=1)
        self.b = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(torch.relu(self.a(x)))


class StudentNet(nn.Module):
    """A student of the size distillation produces: ~1M parameters."""

    def __init__(self, width: int = 128) -> None:
        super().__init__()
        self.encode = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, width, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.blocks = nn.Sequential(*[ResBlock(width) for _ in range(3)])
        self.decode = nn.Sequential(
            nn.ConvTranspose2d(width, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 3, 4, stride=2, padding=1),
        )
        torch.manual_seed(0)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, image: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        delta = torch.tanh(self.decode(self.blocks(self.encode(image))))
        return image + strength.view(-1, 1, 1, 1) * delta


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@functools.lru_cache(maxsize=None)
def model_bytes(kind: str = "additive", resolution: int = 32) -> bytes:
    """Export a fixture model to ONNX bytes (cached: exporting takes ~0.5 s)."""
    if kind == "additive":
        module, with_strength = AdditiveNet(True), True
    elif kind == "plain":
        module, with_strength = AdditiveNet(False), False
    elif kind == "student":
        module, with_strength = StudentNet(), True
    else:
        raise ValueError(kind)
    module.eval()
    image = torch.zeros(2, 3, resolution, resolution)
    args: tuple[Any, ...] = (image, torch.ones(2)) if with_strength else (image,)
    names = ["image", "strength"] if with_strength else ["image"]
    axes = {n: {0: "N"} for n in names + ["edited"]}
    buf = io.BytesIO()
    # The TorchScript exporter is deprecated but stable for plain conv nets; its
    # deprecation warnings are noise in test output.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, args, buf, input_names=names, output_names=["edited"],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False,
        )
    return buf.getvalue()


def make_manifest(name: str = "fixture", resolution: int = 32, strength: bool = True, **overrides: Any) -> dict:
    """A complete, valid schema-1 manifest from the engine's builder (``model.sha256`` is
    a stand-in: write_bundle fills the real one); ``overrides`` replace top-level keys,
    valid or deliberately not."""
    manifest = build_manifest(
        name=name, title=f"Fixture {name}", description="A test preset exported from a tiny torch module.",
        version="1.0.0", author="latentroom tests", license="MIT",
        model_sha256="0" * 64, opset=OPSET, resolution=resolution,
        strength=StrengthRange(min=0.0, max=2.0, default=1.0) if strength else None,
        provenance=EditProvenance(generator="toyfaces", direction_source="fixture", attribute="test", layers=[0, 1, 2]),
        metrics={"psnr": 30.5, "lpips": 0.08},
    )
    manifest.update(overrides)
    return manifest


def rebuilt_manifest(manifest: dict) -> dict:
    """:func:`build_manifest` called with the fields read back from ``manifest``: equal
    to it when, and only when, the builder made it (no key added, renamed or dropped)."""
    strength, origin = manifest["strength"], manifest["provenance"]
    return build_manifest(
        name=manifest["name"], title=manifest["title"], description=manifest["description"],
        version=manifest["version"], author=manifest["author"], license=manifest["license"],
        model_sha256=manifest["model"]["sha256"], opset=manifest["model"]["opset"],
        resolution=manifest["io"]["resolution"],
        strength=None if strength is None else StrengthRange(strength["min"], strength["max"], strength["default"],
                                                             strength["input"]),
        provenance=EditProvenance(origin["generator"], origin["direction_source"], origin["attribute"],
                                  origin["generator_weights_sha256"], origin["layers"]),
        metrics=manifest["metrics"], requires_plugins=manifest["requires_plugins"],
        alignment=manifest.get("alignment"), preview=manifest.get("preview"),
        extensions={key: value for key, value in manifest.items() if key.startswith("x-")},
    )


def build_preset(
    directory: str | Path,
    *,
    name: str = "fixture",
    kind: str = "additive",
    resolution: int = 32,
    preview: bytes | None = None,
    **overrides: Any,
) -> Path:
    """Write a real bundle directory at ``directory``; returns its path."""
    manifest = make_manifest(name, resolution, strength=kind != "plain", **overrides)
    return write_bundle(directory, manifest, model_bytes(kind, resolution), preview=preview)


class FakeContribution:
    """Stands in for ``latentroom.engine.plugins.Contribution`` (name, value, description, plugin)."""

    def __init__(self, name: str, value: Any, plugin: str = "fakeplugin") -> None:
        self.name, self.value, self.description, self.plugin = name, value, "", plugin


def isolate_library(monkeypatch: Any, tmp_path: Path, plugin_presets: dict[str, Path] | None = None) -> dict[str, Path]:
    """Point every preset source at fresh directories under ``tmp_path``.

    The user library moves via ``XDG_CONFIG_HOME`` (what ``click.get_app_dir`` reads
    on Linux), the plugin registry is replaced by a fake holding ``plugin_presets``
    (so tests do not depend on which plugins are installed), and the bundled
    directory is an empty temp folder. Returns the directories.
    """
    import types

    import latentroom.engine.presets.library as library

    dirs = {"config": tmp_path / "config", "bundled": tmp_path / "bundled"}
    dirs["bundled"].mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.delenv("LATENTROOM_PRESET_PATH", raising=False)
    dirs["user"] = library.user_library()
    fake = types.ModuleType("latentroom.engine.plugins")
    contributions = {n: FakeContribution(n, p) for n, p in (plugin_presets or {}).items()}
    fake.registry = lambda: types.SimpleNamespace(presets=contributions, errors=[])  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "latentroom.engine.plugins", fake)
    monkeypatch.setattr(library, "bundled_dir", lambda: dirs["bundled"])
    return dirs
