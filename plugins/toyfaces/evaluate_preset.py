"""Truth-based evaluation of an edit on held-out renders: does it make the named edit,
and does it leave the rest of the face alone?

For held-out renders ``x`` (renderer seed :data:`EVAL_SEED` on, never used in
training) and an edit at strength ``s`` giving ``out``:

* **truth**: the renderer's edit of the same faces. Binary attributes are switched
  on (off) on every face that lacks (has) them, following the strength's sign.
  Continuous ones move by the amount the *teacher* edit achieves on average (the
  generator's own samples edited by the direction, or for a preset of latent pairs
  the pairs' held-out faces as author draws them, measured by the judge): every face
  moves by the one amount (clipped to the 0-1 scale,
  :func:`latentroom.plugins.toyfaces.truth.matched_truth_edit`) whose truth the judge
  reads, in the mean, as that change
  (:func:`latentroom.plugins.toyfaces.truth.read_matched_move`), since the judge's units
  are not the renderer's. The amount comes from the edit being distilled, never from
  the output under test.
* **inside the region** the truth changes (per face, :func:`regions.changed_region`):
  ``region_error`` = sum |out - truth| / sum |x - truth| (0 a perfect edit, 1 no
  progress, above 1 away from the truth);
* **outside it**: ``outside_change``, the mean |out - x| in levels of 255, and
  ``outside_psnr`` (dB) between out and x there;
* **the judge** (:data:`classifier.ARCHITECTURES` ``judge``: another architecture and
  seed, used by no training loss): ``judge_target_change`` and the truth's,
  ``judge_target_ratio`` (their quotient), ``judge_other_change`` (mean over the
  other attributes of the mean |change|) and, for binary attributes,
  ``judge_appear_rate``: the share of faces that lacked the attribute on which the
  judge sees it after the edit (probability > 0.5); at a negative strength, of the
  faces that had it, the share on which the judge no longer sees it.

The same figures are computed for the preset as ``latentroom apply`` runs it
(``applied``, :func:`applied_edit`: each face found by the preset's aligner, cut to its
face template, edited, and the change carried back) when it has a template: users get
that path, and a student that learned its edit only in the renders' own frame draws
less through it (session 20's glasses from 1,800 faces' pairs: 87% of faces gained
glasses run alone, 78% applied). For the full generator path (invert, edit,
generate) when an inverter is given, and for a *teacher* alone
(:func:`evaluate_direction`): the generator path blended into the attribute's region
as author's pairs are, the best a preset distilled from that direction can do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np
import torch

from latentroom.engine.errors import LatentroomError
from latentroom.engine.presets.manifest import is_finite_number
from latentroom.plugins.distill.quality import to_model, to_pixels
from latentroom.plugins.toyfaces.regions import changed_region, moved_region
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, ATTRIBUTE_SPECS, Params, edit, render, sample_params
from latentroom.plugins.toyfaces.truth import matched_truth_edit, read_matched_move

EVAL_SEED = 60_000
TEACHER_SEED = 61_000
APPEAR_PROBABILITY = 0.5
KEPT_INVERSIONS = 4  # render sets a GeneratorPath keeps inverted (inputs and truths of two strengths)


@dataclass(frozen=True)
class Figures:
    """One edit method at one strength against the truth (see the module docstring)."""

    region_error: float
    outside_change: float
    outside_psnr: float
    judge_target_change: float
    judge_truth_target_change: float
    judge_target_ratio: float
    judge_other_change: float
    judge_appear_rate: float | None = None

    def to_json(self) -> dict[str, float]:
        return {k: round(float(v), 5) for k, v in asdict(self).items() if v is not None}


def region_figures(inputs: np.ndarray, outputs: np.ndarray, truths: np.ndarray) -> tuple[float, float, float]:
    """``(region_error, outside_change, outside_psnr)`` for uint8 ``[N, H, W, 3]`` sets."""
    region = changed_region(inputs, truths)[..., None]
    x, out, truth = (a.astype(np.float64) for a in (inputs, outputs, truths))
    inside = np.broadcast_to(region, x.shape)
    away = float(np.abs(x - truth)[inside].sum())
    error = float(np.abs(out - truth)[inside].sum()) / away if away > 0 else float("nan")
    outside = ~inside
    moved = (out - x)[outside]
    change = float(np.abs(moved).mean()) if moved.size else 0.0
    mse = float((moved**2).mean()) if moved.size else 0.0
    psnr = 10 * np.log10(255.0**2 / mse) if mse > 0 else float("inf")
    return error, change, float(psnr)


def judge_figures(judge_in: np.ndarray, judge_out: np.ndarray, judge_truth: np.ndarray, target: str,
                  lacked: np.ndarray | None, removes: bool = False) -> dict[str, float | None]:
    """Judge scores ``[N, n_attributes]`` (0-1) of inputs, outputs and truths -> figures.
    ``lacked``: the faces the edit changes; ``removes``: the edit takes the attribute
    off them (a negative strength), so its end state is the attribute's absence."""
    t = ATTRIBUTE_NAMES.index(target)
    change = float((judge_out[:, t] - judge_in[:, t]).mean())
    truth_change = float((judge_truth[:, t] - judge_in[:, t]).mean())
    others = [i for i in range(len(ATTRIBUTE_NAMES)) if i != t]
    other = float(np.abs(judge_out[:, others] - judge_in[:, others]).mean(0).mean())
    appear = None
    if lacked is not None and lacked.any():
        present = judge_out[lacked, t] > APPEAR_PROBABILITY
        appear = float((~present if removes else present).mean())
    return {"judge_target_change": change, "judge_truth_target_change": truth_change,
            "judge_target_ratio": change / truth_change if abs(truth_change) > 1e-9 else float("nan"),
            "judge_other_change": other, "judge_appear_rate": appear}


def takes_off(strength: float) -> bool:
    """Whether a binary attribute's true edit at ``strength`` takes it off: at any
    strength that is not positive, 0 included (the truth and the figures agree on it)."""
    return not strength > 0


def truth_params(params: Params, attribute: str, strength: float, amount: float) -> tuple[Params, np.ndarray | None]:
    """The truly edited parameters and, for binary attributes, which faces lacked the
    attribute the edit adds (or had the one it removes)."""
    if ATTRIBUTE_SPECS[attribute].kind == "binary":
        if takes_off(strength):
            return edit(params, attribute, -1.0), params[attribute] >= 0.5
        return edit(params, attribute, 1.0), params[attribute] < 0.5
    return matched_truth_edit(params, attribute, amount), None


@torch.no_grad()
def teacher_amount(generator: Any, direction: Any, strength: float, judge: Any, region: torch.Tensor | None = None,
                   samples: int = 256, batch_size: int = 64) -> float:
    """The judge's mean change of the direction's attribute when the generator's own
    samples are edited at ``strength`` (blended into ``region`` when given): how much
    of the attribute the edit being distilled makes."""
    from latentroom.plugins.directions.edit import CorrectionReader, edit_latents, to_wplus
    from latentroom.plugins.directions.sampling import sample_w

    target = ATTRIBUTE_NAMES.index(direction.attribute)
    ws = to_wplus(sample_w(generator, samples, TEACHER_SEED), direction.n_latent)
    read = CorrectionReader(generator, direction)
    changes = []
    for i in range(0, samples, batch_size):
        chunk = ws[i:i + batch_size].to(generator.device)
        x = generator.synthesis(chunk, noise_mode="const").float().clamp(-1, 1)
        y = generator.synthesis(edit_latents(chunk, direction, strength, read(x)),
                                noise_mode="const").float().clamp(-1, 1)
        if region is not None:
            y = x + region.to(x.device) * (y - x)
        changes.append(judge.predict(y)[:, target] - judge.predict(x)[:, target])
    return float(np.concatenate(changes).mean())


EditFn = Callable[[np.ndarray, float], np.ndarray]
"""uint8 ``[N, H, W, 3]`` renders and a strength -> uint8 edited images of the same shape."""

AmountScale = Literal["judge", "renderer"]
"""The units of a continuous truth's amount: the judge's mean reading of the change, or the
renderer's mean move on the attribute's 0-1 scale."""


@dataclass
class TruthSet:
    """Held-out renders, their true edit at one strength, and the judge's scores of
    both: drawn once per strength and shared by every method measured against them."""

    attribute: str
    strength: float
    inputs: np.ndarray
    truths: np.ndarray
    lacked: np.ndarray | None
    judge_inputs: np.ndarray
    judge_truths: np.ndarray
    render_amount: float | None = None  # a continuous truth's mean move on the renderer's 0-1 scale

    @classmethod
    def draw(cls, attribute: str, strength: float, amount: float, judge: Any, images: int = 500,
             size: int = 128, seed: int = EVAL_SEED, scale: AmountScale = "judge") -> "TruthSet":
        """The truth at ``amount``: a continuous attribute's in the judge's units (the
        mean change the judge reads of the truth, as teacher amounts are measured) or
        with ``scale="renderer"`` on the renderer's 0-1 scale."""
        params = sample_params(seed, images)
        inputs = render(params, size)
        judge_inputs = judge.predict(inputs)
        continuous = ATTRIBUTE_SPECS[attribute].kind == "continuous"
        if continuous and scale == "judge":
            amount = read_matched_move(params, attribute, amount, judge, judge_inputs, size)
        edited, lacked = truth_params(params, attribute, strength, amount)
        truths = render(edited, size)
        # The move the truth makes: the amount asked, or less where every face reached the scale's end.
        render_amount = float((edited[attribute] - params[attribute]).mean()) if continuous else None
        return cls(attribute, strength, inputs, truths, lacked, judge_inputs, judge.predict(truths), render_amount)

    def measure(self, outputs: np.ndarray, judge: Any) -> Figures:
        """Figures of ``outputs`` (the edited ``inputs``) against this truth."""
        error, change, psnr = region_figures(self.inputs, outputs, self.truths)
        judged = judge_figures(self.judge_inputs, judge.predict(outputs), self.judge_truths, self.attribute,
                               self.lacked, removes=takes_off(self.strength))
        return Figures(error, change, psnr, **judged)  # type: ignore[arg-type]


def evaluate_edit(edit_fn: EditFn, attribute: str, strength: float, amount: float, judge: Any,
                  images: int = 500, size: int = 128, seed: int = EVAL_SEED, scale: AmountScale = "judge"
                  ) -> tuple[Figures, dict[str, np.ndarray]]:
    """Figures of ``edit_fn`` at ``strength`` on ``images`` held-out renders against the
    truth at ``amount`` (in ``scale``'s units), and the image sets (``input``,
    ``output``, ``truth``) they were measured on."""
    truth = TruthSet.draw(attribute, strength, amount, judge, images, size, seed, scale)
    outputs = edit_fn(truth.inputs, strength)
    return truth.measure(outputs, judge), {"input": truth.inputs, "output": outputs, "truth": truth.truths}


def applied_edit(model_bytes: bytes, alignment: dict[str, Any], batch_size: int = 32) -> EditFn:
    """The preset's model as ``latentroom apply`` runs it on a preset with the face
    template ``alignment`` (a manifest's section): faces found by its aligner, cut to the
    template, edited, the change carried back; a render without a face is unchanged."""
    from latentroom.engine.alignment import Template
    from latentroom.engine.faces import Planner, run_plans
    from latentroom.engine.imaging import Picture
    from latentroom.plugins.distill.export import run_onnx, session

    sess = session(model_bytes)
    planner = None

    def run(pixels: np.ndarray, strength: float) -> np.ndarray:
        nonlocal planner
        if planner is None:  # the template's resolution is the images'
            template = Template.from_manifest({"alignment": alignment, "io": {"resolution": pixels.shape[1]}})
            planner = Planner(pixels.shape[1], template, "evaluated")
        def model(crops: np.ndarray) -> np.ndarray:  # [0, 1] NHWC <-> the model's [-1, 1] NCHW
            out = run_onnx(sess, crops.transpose(0, 3, 1, 2) * 2 - 1, np.full(len(crops), strength, np.float32),
                           batch_size)
            return (np.clip(out, -1, 1).transpose(0, 2, 3, 1) + 1) / 2

        plans = [planner.plan(Picture(frame, None, "RGB")) for frame in pixels]
        return np.stack([plan.finish(out) for plan, out in zip(plans, run_plans(plans, model))])

    return run


def preset_edit(model_bytes: bytes, batch_size: int = 32) -> EditFn:
    """The preset's model through ONNX Runtime, as ``latentroom apply`` runs it."""
    from latentroom.plugins.distill.export import run_onnx, session

    sess = session(model_bytes)
    return lambda pixels, strength: to_pixels(run_onnx(sess, to_model(pixels), np.full(len(pixels), strength,
                                                                                      np.float32), batch_size))


class GeneratorPath:
    """The generator path (invert, move along a direction, generate, as ``latentroom
    edit`` does) on held-out renders, each set inverted and reconstructed once and then
    edited by any number of directions and strengths.

    With a ``region`` mask ``[R, R]`` in 0-1 the edit is blended into the input the way
    author's local teacher blends it (:class:`latentroom.plugins.distill.pairs.PairSampler`):
    ``x + region * (G(w + s * d) - G(w))``. A student is trained on exactly that change
    on the generator's own samples, where ``x = G(w)``; on a render it can at best add
    the same change, so this is the teacher the preset imitates, with the inverter's
    reconstruction error kept out of it.
    """

    def __init__(self, generator: Any, inverter: Any, batch_size: int = 32) -> None:
        self.generator = generator
        self.inverter = inverter
        self.batch_size = int(batch_size)
        self._inversions: dict[bytes, list[tuple[torch.Tensor, Any, torch.Tensor]]] = {}

    def _inverted(self, pixels: np.ndarray) -> list[tuple[torch.Tensor, Any, torch.Tensor]]:
        """Per chunk of ``pixels``: latents, fitted noise maps (or None), reconstruction."""
        import hashlib

        from latentroom.plugins.inverters.common import supports_noise, synthesize

        key = hashlib.sha256(pixels.tobytes()).digest() + repr(pixels.shape).encode()
        if key not in self._inversions:
            if len(self._inversions) >= KEPT_INVERSIONS:
                self._inversions.pop(next(iter(self._inversions)))
            chunks = []
            for i in range(0, len(pixels), self.batch_size):
                x = torch.from_numpy(to_model(pixels[i:i + self.batch_size])).to(self.generator.device)
                ws = self.inverter.invert(x)
                noise = getattr(self.inverter, "last_noise", None) if supports_noise(self.generator) else None
                with torch.no_grad():
                    recon = synthesize(self.generator, ws, noise).float().clamp(-1, 1)
                chunks.append((ws, noise, recon))
            self._inversions[key] = chunks
        return self._inversions[key]

    def _blend(self, pixels: np.ndarray, index: int, change: torch.Tensor, region: torch.Tensor | None,
               face_regions: np.ndarray | None = None) -> np.ndarray:
        chunk = slice(index * self.batch_size, (index + 1) * self.batch_size)
        x = torch.from_numpy(to_model(pixels[chunk]))
        mask = torch.ones(()) if region is None else region.to(torch.float32)[None, None]
        if face_regions is not None:
            mask = mask * torch.from_numpy(face_regions[chunk]).to(torch.float32)[:, None]
        return to_pixels((x + mask * change.cpu()).clamp(-1, 1).numpy())

    def transfer(self, pixels: np.ndarray, targets: np.ndarray, region: torch.Tensor | None = None,
                 face_regions: np.ndarray | None = None) -> np.ndarray:
        """``pixels`` plus the change between the reconstructions of ``targets`` and of
        ``pixels`` (inside ``region``, and inside each face's own bool ``[R, R]`` of
        ``face_regions`` when given): with the true edit as targets, the truth as this
        inverter sees it. A reference for teachers measured through the inverter: where
        its reconstruction misplaces a thin feature (glasses frames) no latent edit lands
        on the truth's pixels either; where it weakens one (a beard) a teacher can still
        push further than this does."""
        pairs = zip(self._inverted(pixels), self._inverted(targets))
        return np.concatenate([self._blend(pixels, i, after[2] - before[2], region, face_regions)
                               for i, (before, after) in enumerate(pairs)])

    def edit(self, direction: Any, region: torch.Tensor | None = None) -> EditFn:
        """The path's :data:`EditFn` for ``direction``, blended into ``region`` when given."""
        from latentroom.plugins.directions.edit import CorrectionReader, edit_latents
        from latentroom.plugins.inverters.common import synthesize

        read = CorrectionReader(self.generator, direction)

        def run(pixels: np.ndarray, strength: float) -> np.ndarray:
            parts = []
            for i, (ws, noise, recon) in enumerate(self._inverted(pixels)):
                moved = edit_latents(ws, direction, strength, read(recon))
                with torch.no_grad():
                    out = synthesize(self.generator, moved, noise).float().clamp(-1, 1)
                parts.append(to_pixels(out.cpu().numpy()) if region is None
                             else self._blend(pixels, i, out - recon, region))
            return np.concatenate(parts)

        return run


def generator_path_edit(generator: Any, inverter: Any, direction: Any, batch_size: int = 32,
                        region: torch.Tensor | None = None) -> EditFn:
    """Invert, move along ``direction``, generate (its fitted noise maps reused), as
    ``latentroom edit`` does; blended into ``region`` as in :class:`GeneratorPath`."""
    return GeneratorPath(generator, inverter, batch_size).edit(direction, region)


@dataclass
class Evaluation:
    """Figures per method (``preset``, ``applied``, ``generator_path``, ``teacher``) and strength, and a
    contact sheet. A continuous attribute's truth is drawn at ``amounts`` per strength (the
    judge's reading; ``render_amounts``: the renderer's move that gives it), or for a
    method in ``method_amounts`` at its own (on the renderer's scale). A method in
    ``method_face_regions`` was kept inside each face's own region, grown by that many pixels."""

    attribute: str
    figures: dict[str, dict[str, Figures]]
    amounts: dict[str, float]
    sheet: np.ndarray
    method_amounts: dict[str, dict[str, float]] = field(default_factory=dict)
    render_amounts: dict[str, float] = field(default_factory=dict)
    method_face_regions: dict[str, int] = field(default_factory=dict)

    def headline(self, method: str | None = None) -> dict[str, float]:
        """The figures at the first (default) strength, as manifest metric names: of
        ``method``, by default the preset as applied where that was measured."""
        method = method or ("applied" if "applied" in self.figures else "preset")
        first = next(iter(self.figures[method].values())).to_json()
        return {("truth_" + k if not k.startswith("judge") else k): v for k, v in first.items()}

    def to_json(self) -> dict[str, Any]:
        own = {"method_truth_amounts": self.method_amounts} if self.method_amounts else {}
        moves = {"truth_render_amounts": self.render_amounts} if self.render_amounts else {}
        regions = {"method_face_regions": self.method_face_regions} if self.method_face_regions else {}
        return {"attribute": self.attribute, "eval_seed": EVAL_SEED, "truth_amounts": self.amounts, **moves, **own,
                **regions,
                "figures": {m: {s: f.to_json() for s, f in per.items()} for m, per in self.figures.items()}}


def _check_attribute(direction: Any, strengths: Sequence[float]) -> str:
    if not strengths:
        raise ValueError("an evaluation needs at least one strength")
    if direction.attribute not in ATTRIBUTE_NAMES:
        raise ValueError(f"{direction.attribute!r} is not a toyfaces attribute; the truth is known for "
                         f"{', '.join(ATTRIBUTE_NAMES)}")
    return direction.attribute


AmountFn = Callable[[float], float]
"""A strength -> the amount of a continuous attribute the distilled edit truly makes."""


@torch.no_grad()
def pairs_teacher_amount(sampler: Any, strength: float, judge: Any, samples: int = 256,
                         batch_size: int = 64) -> float:
    """:func:`teacher_amount` of a preset of latent pairs: the judge's mean change of the
    attribute between the two images of ``samples`` held-out pairs that ``sampler`` (a
    ``PairSampler`` without jitter: faces in place, as the truth is drawn) makes at
    ``strength``. The pairs hold each face's own true edit, as the inverter read it and
    the generator draws it back; that is less than the renderer's amount they were
    made at (hair_length's: 0.70 of it at their truth strength, 0.51 at 1.5 times it),
    and the student is taught it."""
    x, y, _ = sampler.held_out(samples, batch_size, strength=strength)
    column = ATTRIBUTE_NAMES.index(sampler.direction.attribute)
    return float((judge.predict(y) - judge.predict(x))[:, column].mean())


def recorded_pairs_amounts(latent_pairs: Any, source: str) -> AmountFn | None:
    """The truth amounts a preset of latent pairs was graded at, from its record (as a
    manifest's ``x-distill.latent_pairs`` keeps it): author measures ``teacher_amounts``
    at each strength it evaluates (:func:`pairs_teacher_amount`; the pairs file is not
    shipped). At another strength, the recorded amount of the nearest strength on the
    same side of zero, in proportion. None without a pairs record; the amount function
    raises, naming ``source``, where the record cannot give the amount a continuous
    attribute's truth needs (a binary attribute's truth needs none)."""
    if not isinstance(latent_pairs, Mapping):
        return None
    recorded = latent_pairs.get("teacher_amounts")

    def amount_at(strength: float) -> float:
        if not isinstance(recorded, Mapping):
            raise LatentroomError(f"{source}: its latent pairs record no teacher_amounts (authored before they were "
                                  "measured); author it again to evaluate it against the truth")
        known = _strength_amounts(recorded, source)
        same_side = [s for s in known if s * strength > 0]
        if not same_side:
            raise LatentroomError(f"{source}: no teacher amount is recorded on the side of strength {strength:g} "
                                  f"(recorded at {', '.join(f'{s:g}' for s in known)})")
        nearest = min(same_side, key=lambda s: abs(s - strength))
        return known[nearest] * strength / nearest

    return amount_at


def _strength_amounts(recorded: Mapping[str, Any], source: str) -> dict[float, float]:
    amounts: dict[float, float] = {}
    for key, amount in recorded.items():
        try:
            strength = float(key)
        except (TypeError, ValueError):
            strength = float("nan")
        if not (is_finite_number(amount) and np.isfinite(strength)):
            raise LatentroomError(f"{source}: latent pairs' teacher_amounts must map strengths to finite numbers, "
                                  f"not {key!r}: {amount!r}")
        amounts[strength] = float(amount)
    return amounts


def direction_pairs_amounts(direction: Any, source: str) -> AmountFn | None:
    """The renderer's amounts a direction found with latent pairs (``inverted-truth``
    with ``pairs=FILE``) made its pairs at: the find's ``amount`` at its
    ``truth_strength``, in proportion at other strengths. The inverted truth
    (:meth:`GeneratorPath.transfer`) of such a direction, the most a student of its
    pairs can reach, is measured against them: how much of the renderer's edit the
    inverter and the generator keep. None for any other direction."""
    provenance = direction.provenance
    if provenance.source != "inverted-truth" or not provenance.details.get("pairs"):
        return None
    return _proportional_amounts(provenance.parameters.get("amount"), provenance.details.get("truth_strength"),
                                 source)


def _proportional_amounts(amount: Any, truth: Any, source: str) -> AmountFn:
    if not (is_finite_number(amount) and is_finite_number(truth)) or truth <= 0:
        raise LatentroomError(f"{source}: latent pairs' amount {amount!r} and truth_strength {truth!r} must be "
                              "finite numbers, the strength above zero")
    return lambda strength: float(amount) * strength / float(truth)


def _truth_amount(generator: Any, direction: Any, strength: float, judge: Any, region: torch.Tensor | None,
                  samples: int, amount_of: AmountFn | None) -> float | None:
    """The continuous truth's amount (``amount_of`` where the edit knows it, else
    :func:`teacher_amount`); None for a binary attribute, whose truth is a switch that
    needs no amount."""
    if ATTRIBUTE_SPECS[direction.attribute].kind == "binary":
        return None
    if amount_of is not None:
        return amount_of(strength)
    return teacher_amount(generator, direction, strength, judge, region, samples)


def measure_methods(methods: dict[str, EditFn], direction: Any, strengths: Sequence[float], generator: Any,
                    judge: Any, region: torch.Tensor | None = None, images: int = 500, amount_samples: int = 256,
                    echo: Callable[[str], None] = lambda _: None, amount_of: AmountFn | None = None
                    ) -> tuple[dict[str, dict[str, Figures]], dict[str, float], dict[str, float], TruthSet,
                               dict[str, np.ndarray]]:
    """Figures per method and strength against the truth of ``direction``'s edit
    (the truth drawn once per strength and shared by the methods; a continuous
    attribute's at ``amount_of(strength)`` when given, else :func:`teacher_amount`, as the
    judge reads it); also the amounts, the renderer's moves that make them, and the first
    strength's truth and outputs (for a contact sheet)."""
    attribute = _check_attribute(direction, strengths)
    figures: dict[str, dict[str, Figures]] = {m: {} for m in methods}
    amounts: dict[str, float] = {}
    moves: dict[str, float] = {}
    first: tuple[TruthSet, dict[str, np.ndarray]] | None = None
    for strength in strengths:
        amount = _truth_amount(generator, direction, strength, judge, region, amount_samples, amount_of)
        if amount is not None:
            amounts[f"{strength:g}"] = amount
            echo(f"evaluate: the truth at strength {strength:g} moves {attribute} by {amount:.4g} (the teacher's)")
        truth = TruthSet.draw(attribute, strength, amount or 0.0, judge, images, int(generator.size))
        if truth.render_amount is not None:
            moves[f"{strength:g}"] = truth.render_amount
            echo(f"evaluate: the judge reads that in a true edit moving {attribute} by {truth.render_amount:.4g}")
        outputs: dict[str, np.ndarray] = {}
        for method, fn in methods.items():
            echo(f"evaluate: {method} at strength {strength:g} on {images} held-out renders")
            outputs[method] = fn(truth.inputs, strength)
            figures[method][f"{strength:g}"] = truth.measure(outputs[method], judge)
        first = first or (truth, outputs)
    assert first is not None
    return figures, amounts, moves, first[0], first[1]


def truth_setup(device: str, direction_path: Path, region: Path | None) -> tuple[Any, Any, Any, Any]:
    """The toyfaces generator, the judge, the checked direction and the region mask:
    what every measurement against the renderer's truth starts from."""
    from latentroom.engine.devices import pick_torch_device
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.distill.author import load_direction, load_region
    from latentroom.plugins.toyfaces.classifier import load as load_network

    torch_device = pick_torch_device(device)
    generator = resolve_generator("toyfaces", torch_device)
    direction = load_direction(direction_path, generator)
    mask = None if region is None else load_region(region, int(generator.size))[0]
    return generator, load_network(torch_device, arch="judge"), direction, mask


def evaluation_strengths(default: float, low: float, high: float) -> list[float]:
    """The strengths a preset is measured at: its default, half of it, and, when its
    range reaches the other side of zero, the opposite of the default (clipped to the
    range). The issue's figures are taken at the default; the other half of a range
    must work too (a glasses preset must also take glasses off)."""
    chosen = [default, default / 2]
    opposite = min(max(-default, low), high)
    if opposite * default < 0:
        chosen.append(opposite)
    return chosen


def evaluate_preset(preset_fn: EditFn, direction: Any, strengths: Sequence[float], generator: Any, judge: Any,
                    region: torch.Tensor | None = None, inverter: Any = None, images: int = 500,
                    echo: Callable[[str], None] = lambda _: None, applied_fn: EditFn | None = None,
                    amount_of: AmountFn | None = None) -> Evaluation:
    """Figures for the preset (``preset_fn``, e.g. :func:`preset_edit` or a loaded
    preset's ``run``), as applied (``applied_fn``, e.g. :func:`applied_edit`, for a
    preset with a face template) and the generator path (with ``inverter``) at each
    strength, against the truth at ``amount_of`` (a preset of latent pairs,
    :func:`pairs_teacher_amount` or :func:`recorded_pairs_amounts`) or at the
    direction's own amount; the contact sheet shows
    input | generator path | preset (as applied, when measured) | truth at the first."""
    methods: dict[str, EditFn] = {"preset": preset_fn}
    if applied_fn is not None:
        methods["applied"] = applied_fn
    if inverter is not None:
        methods["generator_path"] = generator_path_edit(generator, inverter, direction)
    figures, amounts, moves, truth, outputs = measure_methods(methods, direction, strengths, generator, judge,
                                                              region, images, echo=echo, amount_of=amount_of)
    columns = [truth.inputs] + ([outputs["generator_path"]] if inverter is not None else [])
    sheet = contact_sheet(columns + [outputs["applied" if applied_fn is not None else "preset"], truth.truths])
    return Evaluation(direction.attribute, figures, amounts, sheet, render_amounts=moves)


def evaluate_direction(path: GeneratorPath, direction: Any, strengths: Sequence[float], judge: Any,
                       region: torch.Tensor | None = None, images: int = 500, amount_samples: int = 256,
                       inverted_truth: bool = False, echo: Callable[[str], None] = lambda _: None,
                       inverted_amount_of: AmountFn | None = None, face_region_grow: int | None = None
                       ) -> Evaluation:
    """Figures of a *teacher*: ``direction``'s generator path (:class:`GeneratorPath`),
    blended into ``region`` as author's pairs are, at each strength. With
    ``inverted_truth`` also that method at the first strength
    (:meth:`GeneratorPath.transfer`): the truth as the inverter sees it, of a continuous
    attribute at ``inverted_amount_of(strength)`` when given
    (:func:`direction_pairs_amounts`: the ceiling of a student of the direction's pairs),
    and with ``face_region_grow`` kept inside each face's own region too, the pixels its
    true edit moves grown by that many (the ceiling of pairs that carry those regions,
    ``inverted-truth``'s ``pairs_regions``). The contact sheet shows input | teacher | truth."""
    figures, amounts, moves, truth, outputs = measure_methods({"teacher": path.edit(direction, region)},
                                                              direction, strengths, path.generator, judge, region,
                                                              images, amount_samples, echo)
    own: dict[str, dict[str, float]] = {}
    kept_in_own: dict[str, int] = {}
    if inverted_truth:
        key = f"{strengths[0]:g}"
        reference = truth
        amount = None if inverted_amount_of is None else _truth_amount(
            path.generator, direction, strengths[0], judge, region, amount_samples, inverted_amount_of)
        if amount is not None:
            own["inverted_truth"] = {key: amount}
            reference = TruthSet.draw(direction.attribute, strengths[0], amount, judge, images,
                                      int(path.generator.size), scale="renderer")
        face_regions = None
        if face_region_grow is not None:
            face_regions = moved_region(reference.inputs, reference.truths, face_region_grow)
            kept_in_own["inverted_truth"] = face_region_grow
        echo(f"evaluate: the inverted truth at strength {key}"
             + ("" if face_regions is None else f", each face's in its own region grown by {face_region_grow} px"))
        inverted = path.transfer(reference.inputs, reference.truths, region, face_regions)
        figures["inverted_truth"] = {key: reference.measure(inverted, judge)}
    return Evaluation(direction.attribute, figures, amounts,
                      contact_sheet([truth.inputs, outputs["teacher"], truth.truths]), own, moves, kept_in_own)


def contact_sheet(columns: Sequence[np.ndarray], rows: int = 6) -> np.ndarray:
    """uint8 ``[rows*H, len(columns)*W, 3]``: one face per row, one method per column."""
    tiles = np.stack([c[:rows] for c in columns], axis=1)  # [rows, cols, H, W, 3]
    n, k, h, w, _ = tiles.shape
    return tiles.transpose(0, 2, 1, 3, 4).reshape(n * h, k * w, 3)


__all__ = ["EVAL_SEED", "Evaluation", "Figures", "GeneratorPath", "TruthSet", "applied_edit", "contact_sheet",
           "direction_pairs_amounts", "evaluate_direction", "evaluate_edit", "evaluate_preset", "evaluation_strengths",
           "generator_path_edit", "judge_figures", "measure_methods", "pairs_teacher_amount",
           "preset_edit", "recorded_pairs_amounts", "region_figures", "teacher_amount", "truth_params", "truth_setup"]
