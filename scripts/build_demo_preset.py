#!/usr/bin/env python3
"""Build the ``warm-contrast`` demo preset: a tiny, deterministic image-to-image net.

Until real distilled presets exist, this gives the README (and anyone trying the
apply path) a genuine bundle to run. The "network" is hand-set, not trained:

* a 1x1 convolution warms the colours (red up, blue down, a slight warm offset);
* a tanh curve adds contrast;
* the result is blended with the input by ``strength``:
  ``out = image + strength * (curve(warm(image)) - image)``, so strength 0 is the
  identity and 1 the full edit.

It is exported like a distilled student would be: input ``image`` ``[N, 3, R, R]``
RGB in ``[-1, 1]`` plus ``strength`` ``[N]``, output ``edited``, opset 17, dynamic
batch. Building needs torch (the ``author`` extra); applying the result does not.

Usage::

    python scripts/build_demo_preset.py DEST [--resolution 256] [--pack] [--force]

writes the bundle directory ``DEST`` (``preset.json``, ``model.onnx``,
``preview.png``) and, with ``--pack``, also ``DEST.lrpreset``. Then::

    latentroom preset validate DEST
    latentroom apply DEST photos/ -o edited/ --strength 0.7
    latentroom preset install DEST          # makes it available as "warm-contrast"
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import warnings
from pathlib import Path

NAME = "warm-contrast"
OPSET = 17


def build_module():  # -> torch.nn.Module
    import torch
    from torch import nn

    class WarmContrast(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.warm = nn.Conv2d(3, 3, 1)
            with torch.no_grad():
                # Rows: output R, G, B from input R, G, B. Fixed numbers: deterministic.
                self.warm.weight.copy_(
                    torch.tensor([[1.06, 0.02, 0.0], [0.01, 1.0, 0.0], [0.0, 0.0, 0.88]]).view(3, 3, 1, 1)
                )
                self.warm.bias.copy_(torch.tensor([0.05, 0.015, -0.07]))
            self.gain = 1.4

        def forward(self, image: "torch.Tensor", strength: "torch.Tensor") -> "torch.Tensor":
            curved = torch.tanh(self.gain * self.warm(image)) / torch.tanh(torch.tensor(self.gain))
            return image + strength.view(-1, 1, 1, 1) * (curved - image)

    return WarmContrast().eval()


def export(module, resolution: int) -> bytes:
    import torch

    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            module,
            (torch.zeros(1, 3, resolution, resolution), torch.ones(1)),
            buf,
            input_names=["image", "strength"],
            output_names=["edited"],
            dynamic_axes={"image": {0: "N"}, "strength": {0: "N"}, "edited": {0: "N"}},
            opset_version=OPSET,
            dynamo=False,
        )
    return buf.getvalue()


def preview(module, size: int = 128) -> bytes:
    """Before | after on a synthetic colour ramp, as PNG bytes."""
    import numpy as np
    import torch
    from PIL import Image

    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1)
    before = np.stack([x, y, 1 - 0.5 * (x + y)], axis=2)
    with torch.no_grad():
        t = torch.from_numpy(before).permute(2, 0, 1)[None] * 2 - 1
        after = ((module(t, torch.ones(1))[0].permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1)
    both = np.concatenate([before, after], axis=1)
    buf = io.BytesIO()
    Image.fromarray(np.rint(both * 255).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def manifest(resolution: int, model: bytes) -> dict:
    from latentroom.engine.presets import sha256_bytes
    from latentroom.engine.presets.manifest_builder import EditProvenance, StrengthRange, build_manifest

    return build_manifest(
        name=NAME,
        title="Warm tone + contrast (demo)",
        description="Hand-built demo preset: warmer colours and more contrast. Not a GAN edit; "
        "it stands in until distilled presets exist.",
        version="0.1.0", author="latentroom", license="MIT",
        model_sha256=sha256_bytes(model), opset=OPSET, resolution=resolution,
        strength=StrengthRange(min=0.0, max=1.5, default=1.0),
        provenance=EditProvenance(generator="none (hand-built demo)", direction_source="hand-built",
                                  attribute="warm-tone"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="bundle directory to create")
    parser.add_argument("--resolution", type=int, default=256, help="model input size (default 256)")
    parser.add_argument("--pack", action="store_true", help="also write DEST.lrpreset")
    parser.add_argument("--force", action="store_true", help="replace DEST (and DEST.lrpreset) if present")
    args = parser.parse_args(argv)

    try:
        import torch  # noqa: F401
    except ImportError:
        print("build_demo_preset: torch is needed to build presets (pip install 'latentroom[author]')", file=sys.stderr)
        return 2
    from latentroom.engine.errors import PresetError
    from latentroom.engine.presets import pack_bundle, write_bundle

    module = build_module()
    try:
        if args.dest.exists() and args.force:
            shutil.rmtree(args.dest) if args.dest.is_dir() else args.dest.unlink()
        model = export(module, args.resolution)
        bundle = write_bundle(args.dest, manifest(args.resolution, model), model, preview=preview(module))
        print(f"wrote {bundle}")
        if args.pack:
            packed = pack_bundle(bundle, bundle.with_name(bundle.name + ".lrpreset"), overwrite=args.force)
            print(f"wrote {packed}")
    except PresetError as e:
        print(f"build_demo_preset: {e.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
