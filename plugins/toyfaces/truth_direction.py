"""``inverted-truth``: a direction read off the renderer's true edit through an inverter.

The other sources find a direction from the generator's own samples scored by a
classifier, so they inherit what W correlates with the attribute (glasses that come
with shorter hair, a beard with a darker face). The toyfaces world knows the true
edit: render faces, render the same faces with the attribute changed, invert both
(the shipped encoder by default) and average the W+ offset between them. Its mean over
the chosen layers is the direction; the per-layer offsets show where the generator
keeps the attribute. Binary attributes average over the faces that lacked the
attribute (the edit puts it on); continuous ones move every face up by ``amount`` of
the 0-1 scale.

The renders come from renderer seed ``TRUTH_DIRECTION_SEED + seed``: apart from the
evaluation's held-out renders (:data:`latentroom.plugins.toyfaces.evaluate_preset.EVAL_SEED`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from latentroom.engine.direction import parse_layers
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.directions.correction_fit import fit_correction
from latentroom.plugins.directions.sampling import std_along
from latentroom.plugins.directions.source_base import DirectionSourceBase, FindContext
from latentroom.plugins.toyfaces.regions import MAX_REGION_GROW, MOVED_LEVELS, moved_region
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, ATTRIBUTE_SPECS, Params, edit, render, sample_params

TRUTH_DIRECTION_SEED = 70_000
# pairs_misread_side: which of a face's two read edits (up, down) its misreading counts.
MISREAD_SIDES = {"either": (True, True), "up": (True, False), "down": (False, True)}


class InvertedTruth(DirectionSourceBase):
    """Mean W+ offset from inverted renders to their inverted true edits (module docstring).

    Extra parameters: ``inverter`` ("encoder"), ``amount`` (0.35: a continuous
    attribute's move on its 0-1 scale), ``inverter_batch`` (64), ``correction`` (0;
    ``K`` > 0 also fits a per-face correction on ``K`` principal components of the
    input latents, :mod:`latentroom.plugins.directions.correction_fit`: the edit then
    follows each face's own true offset as far as the input latent predicts it; the
    correction records the inverter, and an edit reads each face through it first).
    ``correction_reads`` (the inverter's name by default) names the inverter that
    reads the faces the correction predicts from (the offsets still come through
    ``inverter``): a cheap one, e.g. the encoder, lets every edit afford the reading
    (``author`` reads each training sample), while a slow, closer one, e.g. the
    hybrid, gives the offsets. ``inverter_options`` (a JSON object, ``{}``) go to
    ``inverter``, e.g. ``{"steps": 96}`` for a closer hybrid reading; a correction read
    through that same inverter is refused with them, because it records only the
    inverter's name, which every edit then builds with its default options.
    ``pairs`` (a file path) also writes every face's latents and those of its two true
    edits (:mod:`latentroom.plugins.distill.latent_pairs`), so ``author --latent-pairs``
    can teach each face's own offset rather than what the direction predicts of it;
    the direction records the file's digest. ``pairs_unread`` ("keep"; "drop") says
    what happens to a face of a binary attribute whose true edit the inverter did not
    read: where the generator cannot draw the edit on a face (a beard on long hair),
    its reading of the truth is the face unchanged, and that pair would teach a student
    to leave such faces alone. "drop" leaves out of the pairs every face whose changed
    side the scorer does not read as changed (put on: p < 0.5; taken off: p >= 0.5);
    the direction is still the mean offset of all faces, and the pairs' record and the
    details count what was dropped. ``pairs_misread`` (levels of 255; 0, the default,
    keeps every face) leaves out every face whose read edit, as the generator draws it,
    differs from its true edit by more than that on average over the pixels the true
    edit changes by more than 8 levels, on either side the truth changed: the inverter
    reads many faces' edits as other edits (a beard of another size or place, the mouth
    moved, a faint one on long hair), and a student of such pairs draws their average,
    a blur (docs/distillation.md, session 46). It is counted and recorded as the unread
    ones are, and the details give the misreading's quartiles. ``pairs_misread_side``
    ("either", the default; "up"; "down") says which side's misreading counts: "up"
    checks only the edit that puts the attribute on (or moves it up), so the faces that
    teach the opposite edit all stay (session 48: beard's pairs filtered on either side
    lost many of the bearded faces that teach taking a beard off, and its student left
    the beard on a tenth of them). ``pairs_regions`` (false; true) also writes each kept
    face's own region per side, the pixels its true edit moves by more than 8 levels,
    grown by ``pairs_region_grow`` pixels (2; at most 32): ``author`` then keeps each
    target's edit only there. The generator draws a read edit past where the truth ends,
    hair_length's new hair past the truth's bob, and a preset's fixed region cuts it into
    a band (session 50).
    With a correction or pairs, every face is read with its edits both ways: a
    positive edit's truth on a face that already has a binary attribute is no change,
    and a negative edit takes the attribute off (the direction itself stays the mean
    offset of the faces the positive edit moves). A true edit that leaves a render as
    it was (glasses put on a face that wears them) has the render's own latents: its
    true offset is zero, and only the renders an edit changes are inverted again.
    ``samples`` counts rendered faces; ``layers`` cannot be ``auto``.

    ``condition_on`` projects out, for each named attribute, the direction in which
    the generator's images change it fastest (``condition_by="response"``, the only
    mode: this source fits no boundaries). The truth keeps those attributes, but the
    offsets read through the inverter and the generator can still move them (glasses
    that enlarge the eyes); conditioning needs a differentiable scorer.
    """

    name = "inverted-truth"
    supports_conditioning = True
    defaults = {"inverter": "encoder", "inverter_options": {}, "amount": 0.35, "inverter_batch": 64,
                "condition_by": "response", "correction": 0, "correction_reads": "", "pairs": "",
                "pairs_unread": "keep", "pairs_misread": 0.0, "pairs_misread_side": "either",
                "pairs_regions": False, "pairs_region_grow": 2}

    def _labels_samples(self, merged: Mapping[str, Any]) -> bool:
        # The renderer's true edits, not a scorer, say what the edit is; only the
        # conditioning's response directions and the unread pairs' check score images.
        return bool(merged["condition_on"]) or merged["pairs_unread"] == "drop"

    def vector(self, ctx: FindContext) -> np.ndarray:
        p, generator = ctx.params, ctx.generator
        _check_params(ctx.attribute, p)
        components = int(p["correction"])
        layers = parse_layers(p["layers"], generator.n_latent)
        size, batch = int(generator.size), int(p["inverter_batch"])
        inverter = _inverter(generator, str(p["inverter"]), dict(p["inverter_options"]))
        reads = str(p["correction_reads"]) or str(p["inverter"])
        if components or p["pairs"]:
            before, up, down, moved = true_edit_sides(ctx.attribute, int(p["samples"]), int(p["seed"]),
                                                      float(p["amount"]), size)
            inputs, reached_up, reached_down = _inverted_sides(generator, inverter, before, up, down, batch)
            offsets_up, offsets_down = reached_up - inputs, reached_down - inputs
            offsets = offsets_up[moved]
        else:
            before, after = true_edit_renders(ctx.attribute, int(p["samples"]), int(p["seed"]), float(p["amount"]),
                                              size)
            inputs, reached = _inverted(generator, inverter, (before, after), batch)
            offsets = reached - inputs
        mean = offsets.mean(0)  # [n_latent, style_dim]
        ctx.details.update({
            "faces": int(len(offsets)),
            "offset_norm_per_layer": [round(float(v), 4) for v in np.linalg.norm(mean, axis=1)],
            # 1: every face moves the same way; near 0: the offsets cancel out.
            "consistency_per_layer": [round(float(v), 4) for v in
                                      np.linalg.norm(mean, axis=1) / np.linalg.norm(offsets, axis=2).mean(0)],
        })
        vector = mean[list(layers)].mean(0)
        # The strength that moves w as far as the truth does on average (strength is in
        # sds of w along the unit vector), so a preset's range can be read against it.
        norm = float(np.linalg.norm(vector))
        ctx.details["truth_strength"] = norm / std_along(generator, vector / norm)
        if p["pairs"]:
            kept = _kept_faces(ctx, (inputs, reached_up, reached_down), (before, up, down), batch)
            grow = int(p["pairs_region_grow"])
            # Each face's own region for each true edit (up, down): empty where it left the face as it was.
            regions = (moved_region(before[kept], up[kept], grow), moved_region(before[kept], down[kept], grow)) \
                if p["pairs_regions"] else None
            sides = (inputs[kept], reached_up[kept], reached_down[kept])
            ctx.details["pairs"] = _write_pairs(Path(str(p["pairs"])), ctx, sides, regions)
        if components:
            read = inputs if reads == str(p["inverter"]) else _inverted(generator, _inverter(generator, reads, {}),
                                                                         (before,), batch)[0]
            chosen = list(layers)
            ctx.correction, ctx.details["correction"] = fit_correction(
                read[:, chosen].mean(1), offsets_up[:, chosen] - vector, components, ctx.details["truth_strength"],
                int(p["seed"]), reads=reads, residuals_down=offsets_down[:, chosen] + vector)
        return vector


def _check_params(attribute: str, p: Mapping[str, Any]) -> None:
    if attribute not in ATTRIBUTE_NAMES:
        raise LatentroomError(f"inverted-truth: {attribute!r} is not a toyfaces attribute "
                              f"(known: {', '.join(ATTRIBUTE_NAMES)})")
    if p["layers"] == "auto":
        raise LatentroomError("inverted-truth: give the layers (the per-layer offsets are in the details)")
    if p["condition_on"] and p["condition_by"] != "response":
        raise LatentroomError("inverted-truth conditions by response only (it fits no boundaries): "
                              "use condition_by=response")
    if int(p["correction"]) and p["condition_on"]:
        raise LatentroomError("inverted-truth: a correction is fitted around the unconditioned mean offset; "
                              "pass correction=0 or no condition_on")
    if p["correction_reads"] and not int(p["correction"]):
        raise LatentroomError("inverted-truth: correction_reads names the inverter a correction reads faces "
                              "through; pass correction=K too")
    if p["pairs_unread"] not in ("keep", "drop"):
        raise LatentroomError(f"inverted-truth: pairs_unread is 'keep' or 'drop', got {p['pairs_unread']!r}")
    if p["pairs_unread"] == "drop" and (not p["pairs"] or ATTRIBUTE_SPECS[attribute].kind != "binary"):
        raise LatentroomError("inverted-truth: pairs_unread=drop checks a binary attribute's latent pairs: "
                              "pass pairs=FILE and a binary attribute")
    misread = p["pairs_misread"]
    if isinstance(misread, bool) or not isinstance(misread, (int, float)) or not 0 <= misread < 256:
        raise LatentroomError(f"inverted-truth: pairs_misread is a number of levels of 255 (0 keeps every face), "
                              f"got {misread!r}")
    if misread and not p["pairs"]:
        raise LatentroomError("inverted-truth: pairs_misread checks the faces of latent pairs: pass pairs=FILE too")
    if p["pairs_misread_side"] not in MISREAD_SIDES:
        raise LatentroomError(f"inverted-truth: pairs_misread_side is one of {', '.join(MISREAD_SIDES)}, "
                              f"got {p['pairs_misread_side']!r}")
    if p["pairs_misread_side"] != "either" and not misread:
        raise LatentroomError("inverted-truth: pairs_misread_side says which side pairs_misread checks: "
                              "pass pairs_misread=L too")
    if not isinstance(p["pairs_regions"], bool):
        raise LatentroomError(f"inverted-truth: pairs_regions is true or false, got {p['pairs_regions']!r}")
    if p["pairs_regions"] and not p["pairs"]:
        raise LatentroomError("inverted-truth: pairs_regions writes each face's region into the latent pairs: "
                              "pass pairs=FILE too")
    grow = p["pairs_region_grow"]
    if isinstance(grow, bool) or not isinstance(grow, int) or not 0 <= grow <= MAX_REGION_GROW:
        raise LatentroomError(f"inverted-truth: pairs_region_grow is a whole number of pixels from 0 to "
                              f"{MAX_REGION_GROW}, got {grow!r}")
    if not isinstance(p["inverter_options"], dict):
        raise LatentroomError(f"inverted-truth: inverter_options must be a JSON object of the inverter's options, "
                              f'e.g. {{"steps": 96}}; got {p["inverter_options"]!r}')
    reads_own_inverter = p["correction_reads"] in ("", p["inverter"])
    if p["inverter_options"] and int(p["correction"]) and reads_own_inverter:
        raise LatentroomError("inverted-truth: a correction records only the name of the inverter it reads faces "
                              "through, and edits build that inverter with its default options: with "
                              "inverter_options, pass correction_reads=NAME (an inverter used as it is)")


def _inverter(generator: Any, name: str, options: dict[str, Any]) -> Any:
    from latentroom.engine.plugins import get_inverter

    return get_inverter(name).value(generator, generator.device, **options)


def _inverted(generator: Any, inverter: Any, image_sets: tuple[np.ndarray, ...], batch: int) -> list[np.ndarray]:
    """Each set of uint8 images' W+ latents through the inverter, ``[N, L, D]`` each; a
    chunk of every set goes through in one call, so the sets see the same batches."""
    from latentroom.plugins.distill.quality import to_model

    parts: list[list[np.ndarray]] = [[] for _ in image_sets]
    for i in range(0, len(image_sets[0]), batch):
        chunk = to_model(np.concatenate([images[i:i + batch] for images in image_sets]))
        ws = inverter.invert(torch.from_numpy(chunk).to(generator.device)).float().cpu().numpy()
        for part, latents in zip(parts, np.split(ws, len(image_sets))):
            part.append(latents)
    return [np.concatenate(part) for part in parts]


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Which renders a true edit changed, ``[N]`` bool (a binary attribute put on a face
    that has it leaves the render as it was)."""
    return (after != before).reshape(len(after), -1).any(1)


def _inverted_sides(generator: Any, inverter: Any, before: np.ndarray, up: np.ndarray, down: np.ndarray,
                    batch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The latents of the renders and of their two true edits; an edit that left a
    render as it was keeps the render's own latents (its true offset is zero)."""
    (inputs,) = _inverted(generator, inverter, (before,), batch)
    sides = []
    for after in (up, down):
        latents = inputs.copy()
        changed = _changed(before, after)
        if changed.any():
            (latents[changed],) = _inverted(generator, inverter, (after[changed],), batch)
        sides.append(latents)
    return inputs, sides[0], sides[1]


def _read_faces(ctx: FindContext, sides: tuple[np.ndarray, np.ndarray, np.ndarray],
                renders: tuple[np.ndarray, np.ndarray, np.ndarray], batch: int) -> np.ndarray:
    """Which faces' true edits the inverter read: for each side the truth changed, the
    scorer reads the attribute on the generator's image of that side's latents (put
    on: p >= 0.5; taken off: p < 0.5). ``[N]`` bool."""
    from latentroom.plugins.directions.sampling import render_and_score
    from latentroom.plugins.directions.scoring import binary_attributes, scorer_name

    if ctx.attribute not in binary_attributes(ctx.scorer):
        raise LatentroomError(f"inverted-truth: pairs_unread=drop needs a scorer that reads {ctx.attribute!r} as "
                              f"a probability; {scorer_name(ctx.scorer)} does not")
    before = renders[0]
    read = np.ones(len(before), bool)
    for latents, after, wears in ((sides[1], renders[1], True), (sides[2], renders[2], False)):
        changed = _changed(before, after)
        if changed.any():
            p = render_and_score(ctx.generator, ctx.scorer, torch.from_numpy(latents[changed]), batch)[ctx.attribute]
            read[np.flatnonzero(changed)[(p >= 0.5) != wears]] = False
    return read


def _kept_faces(ctx: FindContext, sides: tuple[np.ndarray, np.ndarray, np.ndarray],
                renders: tuple[np.ndarray, np.ndarray, np.ndarray], batch: int) -> np.ndarray:
    """Which faces the pairs keep, ``[N]`` bool: all but those ``pairs_unread`` and
    ``pairs_misread`` leave out, each count in the details."""
    p = ctx.params
    kept = np.ones(len(sides[0]), bool)
    if p["pairs_unread"] == "drop":
        kept = _read_faces(ctx, sides, renders, batch)
        ctx.details["pairs_unread_dropped"] = int((~kept).sum())
    if float(p["pairs_misread"]) > 0:
        checked = MISREAD_SIDES[p["pairs_misread_side"]]
        misread = _misread_levels(ctx.generator, sides, renders, batch, checked)
        faithful = ~(misread > float(p["pairs_misread"]))  # nan: no checked side to misread
        ctx.details["pairs_misread_dropped"] = int((kept & ~faithful).sum())
        # Where the threshold falls among the faces it checked, for choosing the next one.
        looked_at = misread[kept & ~np.isnan(misread)]
        ctx.details["pairs_misread_quartiles"] = [round(float(v), 2) for v in np.percentile(looked_at, [25, 50, 75])] \
            if len(looked_at) else []
        kept &= faithful
    if not kept.any():
        counts = {k: v for k, v in ctx.details.items() if k.startswith(("pairs_unread", "pairs_misread"))}
        raise LatentroomError(f"inverted-truth: no face is left in the latent pairs ({counts}); "
                              "keep more with pairs_unread=keep or a larger pairs_misread")
    return kept


def _misread_levels(generator: Any, sides: tuple[np.ndarray, np.ndarray, np.ndarray],
                    renders: tuple[np.ndarray, np.ndarray, np.ndarray], batch: int,
                    checked: tuple[bool, bool]) -> np.ndarray:
    """How far each face's read edits are from its true ones, ``[N]`` levels: for each
    ``checked`` side (up, down) the truth changed, the mean absolute difference between
    the generator's change (its image of that side's latents less its image of the
    face's) and the renders' change, over the pixels the renders' change moves by more
    than 8 levels; the worse side counts. nan where no checked side changed. A batch of
    faces at a time, each face's own image drawn once for both sides."""
    before = renders[0]
    levels = np.full(len(before), np.nan)
    for start in range(0, len(before), batch):
        faces = slice(start, start + batch)
        sides_changed = [(latents[faces], after[faces], _changed(before[faces], after[faces]) & check)
                         for latents, after, check in zip(sides[1:], renders[1:], checked)]
        if not any(changed.any() for _, _, changed in sides_changed):
            continue
        drawn_before = _drawn(generator, sides[0][faces])
        for latents, after, changed in sides_changed:
            if not changed.any():
                continue
            read_change = _drawn(generator, latents[changed]) - drawn_before[changed]
            true_change = after[changed].astype(np.float32) - before[faces][changed]
            moved = np.abs(true_change).max(-1, keepdims=True) > MOVED_LEVELS
            misread = (np.abs(read_change - true_change) * moved).sum((1, 2, 3)) / np.maximum(3 * moved.sum((1, 2, 3)), 1)
            rows = start + np.flatnonzero(changed)
            levels[rows] = np.fmax(levels[rows], misread)
    return levels


def _drawn(generator: Any, latents: np.ndarray) -> np.ndarray:
    """The generator's float32 images ``[N, H, W, 3]``, 0-255, of W+ latents."""
    from latentroom.plugins.distill.quality import to_pixels

    with torch.no_grad():
        images = generator.synthesis(torch.from_numpy(latents).to(generator.device), noise_mode="const")
    return to_pixels(images.float().cpu().numpy()).astype(np.float32)


def _write_pairs(path: Path, ctx: FindContext, latents: tuple[np.ndarray, np.ndarray, np.ndarray],
                 regions: tuple[np.ndarray, np.ndarray] | None) -> dict[str, Any]:
    """Write the faces' latents, their two edits' and, when given, each face's region per
    side (``latent_pairs``); the record for the details."""
    from latentroom.plugins.distill.latent_pairs import write_latent_pairs

    p, generator = ctx.params, ctx.generator
    record = {"attribute": ctx.attribute, "generator": str(p.get("generator_spec") or "toyfaces"),
              "generator_weights_sha256": generator.weights_sha256, "truth_strength": ctx.details["truth_strength"],
              "made_by": {"source": "inverted-truth", "inverter": str(p["inverter"]),
                          "inverter_options": dict(p["inverter_options"]), "samples": int(p["samples"]),
                          "renderer_seed": TRUTH_DIRECTION_SEED + int(p["seed"]), "amount": float(p["amount"]),
                          "pairs_unread": str(p["pairs_unread"]),
                          "unread_dropped": int(ctx.details.get("pairs_unread_dropped", 0)),
                          "pairs_misread": float(p["pairs_misread"]),
                          "pairs_misread_side": str(p["pairs_misread_side"]),
                          "misread_dropped": int(ctx.details.get("pairs_misread_dropped", 0)),
                          "pairs_regions": regions is not None,
                          **({"pairs_region_grow": int(p["pairs_region_grow"])} if regions is not None else {})}}
    digest = write_latent_pairs(path, *latents, record, regions)
    return {"file": path.name, "sha256": digest, "faces": len(latents[0])}


def _truth_faces(attribute: str, samples: int, seed: int, amount: float) -> tuple[Params, float, np.ndarray]:
    """The faces, the true edit's step up (a binary attribute: put on; a continuous
    one: ``amount``) and which faces it moves (a binary attribute: those lacking it)."""
    params = sample_params(TRUTH_DIRECTION_SEED + seed, samples)
    if ATTRIBUTE_SPECS[attribute].kind != "binary":
        return params, amount, np.ones(samples, bool)
    lacked = params[attribute] < 0.5
    if not lacked.any():
        raise LatentroomError(f"inverted-truth: none of the {samples} faces lacks {attribute}; draw more")
    return params, 1.0, lacked


def true_edit_sides(attribute: str, samples: int, seed: int, amount: float,
                    size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """uint8 renders of every face, their true edit up and down (a binary attribute put
    on and taken off: unchanged where the face already has it or lacks it; a
    continuous one moved by ``+amount`` and ``-amount``), and which faces the up edit
    moves (a binary attribute: those that lacked it; a continuous one: all)."""
    params, step, moved = _truth_faces(attribute, samples, seed, amount)
    return (render(params, size), render(edit(params, attribute, step), size), render(edit(params, attribute, -step), size),
            moved)


def true_edit_renders(attribute: str, samples: int, seed: int, amount: float,
                      size: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 renders and their true edit: a binary attribute put on the faces lacking it
    (only those are returned), a continuous one moved up by ``amount``."""
    params, step, moved = _truth_faces(attribute, samples, seed, amount)
    params = {k: v[moved] for k, v in params.items()}
    return render(params, size), render(edit(params, attribute, step), size)


__all__ = ["InvertedTruth", "TRUTH_DIRECTION_SEED", "true_edit_renders", "true_edit_sides"]
