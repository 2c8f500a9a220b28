"""The face template of presets made from toyfaces: where the renderer puts a face.

:func:`alignment_section` is the manifest's ``alignment`` object for a preset whose
model works on R x R toyfaces renders: the canonical landmarks are the renderer's
landmarks averaged over many sampled faces, and the mask covers the head and the hair
around it (hair length, beard and age edits reach beyond the skin).
:func:`face_template` is that object for an edit of one attribute: what the toyfaces
generator offers ``author`` (:class:`latentroom.engine.protocols.Generator`).
"""

from __future__ import annotations

from typing import Any

from latentroom.engine.alignment import LANDMARK_NAMES
from latentroom.plugins.toyfaces.renderer import DEFAULT_SIZE, landmarks, sample_params

TEMPLATE_FACES = 4096
TEMPLATE_SEED = 0
# In units of the frame (R = 1): the head's centre sits a little below the middle;
# the ellipse reaches the top of the hair and the shoulders, not the frame's corners.
MASK_CENTER = (0.5, 0.56)
MASK_RADII = (0.36, 0.42)
HAIR_MASK_RADII = (0.6, 0.7)
"""For edits of the hair's length: long hair falls past the head's ellipse to the
shoulders and the frame's lower corners."""
ATTRIBUTE_MASK_RADII = {"hair_length": HAIR_MASK_RADII}
"""Edits that reach past :data:`MASK_RADII`; every other attribute keeps the head's ellipse."""
MASK_FEATHER = 0.11


def alignment_section(
    resolution: int = DEFAULT_SIZE, aligner: str | None = None, mask_radii: tuple[float, float] = MASK_RADII
) -> dict[str, Any]:
    """The ``alignment`` manifest section for a toyfaces preset at ``resolution``;
    ``mask_radii`` in units of the frame."""
    mean = landmarks(sample_params(TEMPLATE_SEED, TEMPLATE_FACES), resolution).mean(axis=0)
    r = float(resolution)
    section: dict[str, Any] = {
        "landmarks": {name: [round(float(x), 2), round(float(y), 2)] for name, (x, y) in zip(LANDMARK_NAMES, mean)},
        "rule": "similarity",
        "mask": {
            "center": [round(MASK_CENTER[0] * r, 2), round(MASK_CENTER[1] * r, 2)],
            "radii": [round(mask_radii[0] * r, 2), round(mask_radii[1] * r, 2)],
            "feather": round(MASK_FEATHER * r, 2),
        },
    }
    if aligner is not None:
        section["aligner"] = aligner
    return section



def face_template(attribute: str, resolution: int = DEFAULT_SIZE) -> dict[str, Any]:
    """The ``alignment`` section of a toyfaces preset that edits ``attribute`` at
    ``resolution``: found by the ``toyfaces`` aligner, masked wide enough for the edit."""
    return alignment_section(resolution, aligner="toyfaces", mask_radii=ATTRIBUTE_MASK_RADII.get(attribute, MASK_RADII))
