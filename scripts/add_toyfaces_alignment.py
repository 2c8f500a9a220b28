"""Give authored toyfaces presets their alignment template (docs/preset-format.md),
so `latentroom apply` finds, aligns and blends each face:

    python scripts/add_toyfaces_alignment.py presets/smile presets/age ...

hair_length gets the wider mask its long hair needs. The bundle is rewritten with the
project's writer (checksum, validation, atomic replace).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from latentroom.engine.presets import write_bundle
from latentroom.plugins.toyfaces.alignment import HAIR_MASK_RADII, MASK_RADII, alignment_section


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        manifest = json.loads((path / "preset.json").read_text())
        radii = HAIR_MASK_RADII if manifest["provenance"]["attribute"] == "hair_length" else MASK_RADII
        manifest["alignment"] = alignment_section(manifest["io"]["resolution"], aligner="toyfaces", mask_radii=radii)
        manifest["model"].pop("sha256", None)
        preview = path / "preview.png"
        write_bundle(path, manifest, (path / "model.onnx").read_bytes(),
                     preview=preview.read_bytes() if preview.exists() else None, overwrite=True)
        print(f"{path}: alignment template added")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
