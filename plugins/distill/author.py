"""``author``: distil a generator edit into a preset bundle, end to end.

1. load the generator (default: the one the direction records) and the direction, check
   they fit each other, and resolve everything an option names (features, scorer, eval
   images), so mistakes fail before training;
2. train the student on teacher pairs (:mod:`latentroom.plugins.distill.train`), resumable
   from ``OUT/.author-state/``;
3. export ONNX (dynamo, opset 18), check it against torch (<= 1e-3) and strength 0
   against the identity;
4. build the fp16 and int8 variants and keep one only if measurably faster on the
   CPU at equal quality (:func:`latentroom.plugins.distill.export.choose_variant`);
5. measure quality: for the toyfaces generator against the renderer's truth with the
   independent judge (:mod:`latentroom.plugins.toyfaces.evaluate_preset`), for other
   generators with a scorer that fits them on held-out generator samples or the user's
   ``--images`` (:mod:`latentroom.plugins.distill.quality`); the manifest records which;
6. write the bundle (manifest, model, preview, and the face template: ``--alignment``
   or the generator's own ``face_template``, checked in step 1) with
   :func:`latentroom.engine.presets.write_bundle`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from latentroom.engine.atomic import atomic_write_bytes
from latentroom.engine.devices import pick_torch_device
from latentroom.engine.direction import Direction
from latentroom.plugins.directions.scoring import ScorerSpec
from latentroom.plugins.distill.discriminator import RESIDUAL_GAIN
from latentroom.plugins.distill.errors import DistillError, read_option_file
from latentroom.plugins.distill.gate import resolve_gate
from latentroom.plugins.distill.grain import GrainJitter
from latentroom.plugins.distill.jitter import Jitter
from latentroom.plugins.distill.pairs import CALIBRATION, DEFAULT_TRUNCATION, FIT, HELD_OUT, PairPool, PairSampler
from latentroom.plugins.distill.student import DEFAULT_WIDTHS, StudentConfig, build_student, conv_macs, count_parameters
from latentroom.plugins.distill.train import TrainSettings, settings_json, train_student

STATE_DIR = ".author-state"
MAX_BUNDLE_MODEL_BYTES = 10_000_000
"""Each preset's model must stay within 10 MB."""
MAX_REGION_BYTES = 16 * 1024 * 1024
"""An ``--region`` mask file; a 1024x1024 PNG mask is at most a few MB."""
IDENTITY_TOLERANCE = 1e-6
"""Strength 0 must return the input; the graph computes ``x + 0 * r``, so anything
beyond float rounding noise means the export is broken."""


@dataclass
class AuthorOptions:
    name: str
    direction: Path
    output: Path
    generator: str | None = None
    strength_range: tuple[float, float] | None = None
    default_strength: float | None = None
    steps: int = 20_000
    batch_size: int = 32
    seed: int = 0
    device: str = "auto"
    resume: bool = False
    force: bool = False
    truncation: float = DEFAULT_TRUNCATION
    widths: tuple[int, ...] = DEFAULT_WIDTHS
    head: str = "transposed"
    lr: float = 2e-3
    features: str = "auto"
    feature_weight: float = 0.5
    adversarial_weight: float = 0.0
    adversarial_start: float = 0.5
    pixel_loss: str = "mse"
    l1_start: float | None = None
    region: Path | None = None
    latent_pairs: Path | None = None
    partial_edit: str = "fade"
    jitter: Jitter = field(default_factory=Jitter)
    grain: GrainJitter = field(default_factory=GrainJitter)
    keep_mouth: bool = False
    presence_gate: str = "auto"
    sheet: Path | None = None
    fast_teacher: bool = True
    pool_size: int = 0
    reuse: int = 4
    save_every: int = 500
    log_every: int = 100
    time_limit: float | None = None
    time_budget: float | None = None
    held_out_pairs: int = 256
    eval_images: int = 500
    eval_source: str = "auto"
    eval_folder: Path | None = None
    eval_batch_size: int = 32
    scorer: ScorerSpec = None  # a name, or several to join (--scorer repeated)
    alignment: str | None = None  # a file, "none", or None: the generator's face template
    inverter: str = "hybrid"
    inverter_options: dict[str, Any] = field(default_factory=dict)
    variants: tuple[str, ...] = ("fp16", "int8")
    keep_state: bool = False
    title: str | None = None
    description: str | None = None
    version: str = "1.0.0"
    author: str = ""
    license: str = "NOASSERTION"  # SPDX for "not stated": a shared preset should say


def check_output(out: Path, force: bool) -> None:
    """``out`` must be new, hold only our state, or (with ``force``) an earlier preset:
    the bundle is written by replacing the whole directory, so anything else in it
    would be deleted."""
    from latentroom.engine.presets import MANIFEST_FILE

    if not out.exists():
        return
    if not out.is_dir():
        raise DistillError(f"{out}: exists and is not a directory")
    entries = {p.name for p in out.iterdir()}
    if MANIFEST_FILE in entries and not force:
        raise DistillError(f"{out}: already holds a preset (pass --force to replace it)")
    foreign = sorted(entries - {STATE_DIR, MANIFEST_FILE, "model.onnx", "preview.png"})
    if foreign:
        raise DistillError(f"{out}: not empty ({', '.join(foreign[:5])}{', ...' if len(foreign) > 5 else ''}); "
                           "the preset directory is replaced as a whole, so give a new or empty one")


def resolve_features(spec: str, generator: Any) -> str:
    """``auto``: the generator's own ``default_features`` (the toyfaces classifier's for
    the toyfaces generator), plain L1 for a generator that names none."""
    if spec != "auto":
        return spec
    return getattr(generator, "default_features", None) or "none"


def resolve_eval_source(opts: AuthorOptions, generator: Any, spec: str) -> str:
    """``auto``: held-out toyfaces renders (whose truth is known) for a toyfaces
    generator, held-out generator samples for any other; ``images`` with --images."""
    from latentroom.plugins.toyfaces.generator import DOMAIN

    toyfaces = getattr(generator, "domain", None) == DOMAIN
    if opts.eval_folder is not None:
        return "images"
    if opts.eval_source == "auto":
        return "renders" if toyfaces else "samples"
    if opts.eval_source == "renders" and not toyfaces:
        raise DistillError(f"--eval-source renders: held-out toyfaces renders say nothing about generator {spec}; "
                           "use --eval-source samples or --images FOLDER of your images")
    return opts.eval_source


def default_strength_for(low: float, high: float) -> float:
    """1 data standard deviation when the range allows it: a visible but natural edit."""
    return float(min(max(1.0, low), high))


def required_plugins(opts: AuthorOptions, direction: Direction,
                     alignment: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """The plugins whose parts the preset was made with: the generator, the source
    that found the direction and the inverter of the quality metrics; and the one whose
    aligner its face template names, which ``apply`` needs."""
    from latentroom.engine.plugins import DEFAULT_GENERATOR, plugins_behind

    aligner = (alignment or {}).get("aligner")
    return plugins_behind({
        "generators": [(opts.generator or DEFAULT_GENERATOR).partition(":")[0]],
        "direction_sources": [direction.provenance.source],
        "inverters": [] if opts.inverter == "none" else [opts.inverter],
        "aligners": [aligner] if aligner else [],
    })


ALIGNMENT_HELP = ("--alignment FILE: a JSON file holding the manifest's alignment section (landmarks, rule, mask "
                  "and the aligner that finds such faces; docs/preset-format.md), or a preset.json to copy it from")


def read_alignment_file(path: Path) -> Any:
    """The ``alignment`` section in ``path``: the JSON object itself, or a preset
    manifest's (``schema_version`` and ``alignment`` keys). Read bounded, errors name the file."""
    import json

    from latentroom.engine.bounded_json import JsonBeyondBounds, loads_bounded
    from latentroom.engine.limits import MAX_MANIFEST_BYTES

    data = read_option_file("--alignment", path, MAX_MANIFEST_BYTES, "an alignment section")
    try:
        section = loads_bounded(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DistillError(f"--alignment {path}: not valid JSON ({exc})") from None
    except JsonBeyondBounds as exc:
        raise DistillError(f"--alignment {path}: {exc}") from None
    if isinstance(section, dict) and "schema_version" in section:
        if "alignment" not in section:
            raise DistillError(f"--alignment {path}: this preset manifest has no alignment section to copy")
        section = section["alignment"]
    return section


def resolve_alignment(choice: str | None, generator: Any, attribute: str,
                      spec: str) -> tuple[dict[str, Any] | None, str]:
    """The preset's face template and where it came from: ``--alignment FILE``, none
    for ``--alignment none``, else the generator's ``face_template(attribute)``
    (:class:`latentroom.engine.protocols.Generator`). Checked against the resolution
    now, so a bad one fails before training; a generator without one is said, with
    how to give one."""
    from latentroom.engine.presets.manifest import alignment_problems

    if choice == "none":
        return None, "none (--alignment none): the preset edits whole frames"
    if choice is not None:
        section, where = read_alignment_file(Path(choice)), f"--alignment {choice}"
    else:
        offer = getattr(generator, "face_template", None)
        section = offer(attribute) if callable(offer) else None
        if section is None:
            return None, (f"none: generator {spec} offers no face template, so the preset will edit whole frames "
                          f"(apply resizes each photo as a whole). To make apply find and align faces, pass "
                          f"{ALIGNMENT_HELP}")
        where = f"generator {spec}'s face template for {attribute}"
    resolution = int(generator.size)
    problems = alignment_problems(section, resolution)
    if problems:
        raise DistillError(f"{where}: not an alignment section for {resolution}x{resolution} images: "
                           + "; ".join(problems))
    aligner = section.get("aligner")
    return section, f"{where} (aligner {aligner or 'chosen at apply time'})"


def load_direction(path: Path, generator: Any) -> Direction:
    """The direction file, checked against the generator (clear errors naming the file)."""
    direction = Direction.load(path)
    if direction.n_latent != generator.n_latent or direction.style_dim != generator.style_dim:
        raise DistillError(f"{path}: direction is for [{direction.n_latent}, {direction.style_dim}] latents, "
                           f"the generator takes [{generator.n_latent}, {generator.style_dim}]")
    return direction


@dataclass
class Setup:
    """Everything loaded and checked before training starts."""

    generator: Any
    spec: str
    direction: Direction
    low: float
    high: float
    default: float
    device: str
    config: StudentConfig
    features: str
    region: Any
    region_sha256: str | None
    gate: Any  # a PresenceGate, or None
    gate_note: str
    pairs: Any  # LatentPairs (--latent-pairs), or None
    eval_source: str
    scorer: Any  # None where the renderer's truth and the judge measure quality
    alignment: dict[str, Any] | None
    alignment_origin: str
    mouth: Any = None  # a MouthFinder (--keep-mouth), or None


def load_region(path: Path, resolution: int) -> tuple[torch.Tensor, str]:
    """A grayscale mask image (white = the edit may show) as ``[R, R]`` in 0-1, and its hash."""
    import hashlib
    import io

    from PIL import Image, UnidentifiedImageError

    data = read_option_file("--region", path, MAX_REGION_BYTES, "a mask image")
    try:
        with Image.open(io.BytesIO(data)) as img:
            # The header's size is checked before the pixels are decoded.
            if img.size != (resolution, resolution):
                raise DistillError(f"--region {path}: is {img.size[0]}x{img.size[1]}, the generator makes "
                                   f"{resolution}x{resolution} images")
            img.load()
            mask = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except (OSError, UnidentifiedImageError) as exc:
        raise DistillError(f"--region {path}: not a readable image ({exc})") from None
    return torch.from_numpy(mask), hashlib.sha256(data).hexdigest()


def _setup(opts: AuthorOptions) -> Setup:
    """Load and check everything before training: the generator (default: the one the
    direction was found on), the direction, strengths, region, features, where quality
    is measured and the scorer that measures it, so a bad option fails in seconds."""
    from latentroom.engine.plugins import resolve_generator

    if opts.steps < 1 or opts.batch_size < 1:
        raise DistillError("--steps and --batch-size must be at least 1")
    if opts.l1_start is not None and opts.pixel_loss == "l1":
        raise DistillError("--l1-start: the pixel loss is l1 from the start already")
    spec = Direction.load(Path(opts.direction)).generator_spec(opts.generator, opts.direction)
    device = pick_torch_device(opts.device)
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    generator = resolve_generator(spec, device)
    if hasattr(generator, "requires_grad_"):
        generator.requires_grad_(False)
    if hasattr(generator, "eval"):
        generator.eval()
    direction = load_direction(Path(opts.direction), generator)
    low, high = opts.strength_range or direction.strength_range
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise DistillError(f"--strength-range {low},{high}: expected finite LOW < HIGH")
    default = default_strength_for(low, high) if opts.default_strength is None else float(opts.default_strength)
    if not low <= default <= high:
        raise DistillError(f"--default-strength {default:g} is outside the range {low:g},{high:g}")
    region, region_sha = (None, None) if opts.region is None else load_region(Path(opts.region), int(generator.size))
    config = StudentConfig(widths=tuple(opts.widths), strength_scale=max(abs(low), abs(high)), head=opts.head)
    eval_source = resolve_eval_source(opts, generator, spec)
    # Default: the scorer the direction was found with, else the generator's own.
    scorer_spec = opts.scorer or direction.provenance.parameters.get("scorer")
    scorer = None
    if eval_source != "renders":
        from latentroom.plugins.directions.scoring import resolve_scorer

        scorer = resolve_scorer(scorer_spec, device, generator, spec, [direction.attribute])
    # Latent pairs already leave a face that has the attribute as it is (its true offset is zero).
    gate_mode = "off" if opts.latent_pairs is not None and opts.presence_gate == "auto" else opts.presence_gate
    gate, gate_note = resolve_gate(gate_mode, scorer_spec, generator, spec, direction.attribute, device, scorer)
    pairs = None if opts.latent_pairs is None else _load_pairs(Path(opts.latent_pairs), generator, direction)
    alignment, alignment_origin = resolve_alignment(opts.alignment, generator, direction.attribute, spec)
    mouth = resolve_mouth_finder(alignment) if opts.keep_mouth else None
    return Setup(generator, spec, direction, low, high, default, device, config,
                 resolve_features(opts.features, generator), region, region_sha, gate, gate_note, pairs, eval_source,
                 scorer, alignment, alignment_origin, mouth)


def resolve_mouth_finder(alignment: dict[str, Any] | None) -> Any:
    """``--keep-mouth``: the mouth is found with the face template's aligner, the one
    ``apply`` finds faces with, so it must name one."""
    from latentroom.engine.aligners import build_aligner
    from latentroom.plugins.distill.mouth import MouthFinder

    name = (alignment or {}).get("aligner")
    if not name:
        raise DistillError("--keep-mouth finds the input's mouth with the face template's aligner, and this "
                           f"preset's template names none: pass {ALIGNMENT_HELP}, its section naming an aligner")
    return MouthFinder(build_aligner(name), name=name)


def _load_pairs(path: Path, generator: Any, direction: Direction) -> Any:
    from latentroom.plugins.distill.latent_pairs import load_latent_pairs

    pairs = load_latent_pairs(path)
    pairs.check_fits(generator, direction)
    return pairs


def _fingerprint(opts: AuthorOptions, setup: Setup, settings: TrainSettings) -> dict[str, Any]:
    """What a resumed run must share with the saved one."""
    return {"generator": opts.generator or "toyfaces",
            "generator_weights_sha256": getattr(setup.generator, "weights_sha256", None),
            "direction_vector_sha256": setup.direction.to_json("v")["vector_sha256"],
            "layers": list(setup.direction.layers), "scale": setup.direction.scale,
            "strength_range": [setup.low, setup.high], "truncation": opts.truncation, "seed": opts.seed,
            "batch_size": opts.batch_size, "lr": opts.lr, "features": setup.features,
            "feature_weight": settings.feature_weight, "adversarial_weight": settings.adversarial_weight,
            "adversarial_start": settings.adversarial_start if settings.adversarial_weight else None,
            # A discriminator saved before it saw the residual amplified judges other inputs.
            "discriminator_residual_gain": RESIDUAL_GAIN if settings.adversarial_weight else None,
            "pixel_loss": settings.pixel_loss, "l1_start": settings.l1_start,
            "region_sha256": setup.region_sha256, "presence_gate": _gate_name(setup),
            "latent_pairs_sha256": None if setup.pairs is None else setup.pairs.sha256,
            "partial_edit": None if setup.pairs is None else opts.partial_edit,
            "jitter": opts.jitter.to_json(),
            "grain_jitter": opts.grain.to_json(),
            "keep_mouth": _mouth_record(setup),
            "student": setup.config.to_json(),
            "pool": [opts.pool_size, opts.reuse] if opts.pool_size else None}


def _mouth_record(setup: Setup) -> dict[str, str] | None:
    """How the input's mouth was kept in the targets (recorded and fingerprinted), if it was."""
    return None if setup.mouth is None else {"aligner": setup.mouth.name}


def _gate_name(setup: Setup) -> str | None:
    """The scorer that gated the teacher's pairs (recorded and fingerprinted), if any."""
    return None if setup.gate is None else setup.gate.name


def _train(opts: AuthorOptions, setup: Setup, echo: Callable[[str], None]) -> tuple[Any, PairSampler, TrainSettings, Any]:
    """Train (or resume) the student; ``(student, sampler, settings, result)``."""
    from latentroom.plugins.inverters.features import describe, load_feature_net

    resolution = int(setup.generator.size)
    student = build_student(setup.config, resolution)
    use_features = opts.feature_weight > 0 and setup.features != "none"
    feature_net = load_feature_net(setup.features, setup.device, setup.generator) if use_features else None
    sampler = PairSampler(setup.generator, setup.direction, (setup.low, setup.high), opts.truncation, opts.seed,
                          amp=True, region=setup.region, fast=opts.fast_teacher, gate=setup.gate, pairs=setup.pairs,
                          partial_edit=opts.partial_edit, jitter=opts.jitter, mouth=setup.mouth,
                          grain=opts.grain)
    settings = TrainSettings(steps=opts.steps, batch_size=opts.batch_size, lr=opts.lr,
                             feature_weight=opts.feature_weight if feature_net is not None else 0.0,
                             adversarial_weight=opts.adversarial_weight,
                             adversarial_start=opts.adversarial_start,
                             pixel_loss=None if opts.head == "paint" else opts.pixel_loss, l1_start=opts.l1_start,
                             save_every=opts.save_every,
                             log_every=opts.log_every, time_limit=opts.time_limit, time_budget=opts.time_budget)
    echo(f"author {opts.name}: {setup.direction.attribute} on {opts.generator or 'toyfaces'} ({resolution}px), "
         f"strength {setup.low:g}..{setup.high:g} (default {setup.default:g}), layers {setup.direction.layer_spec}; "
         f"student {count_parameters(student) / 1e6:.2f} M parameters, "
         f"{conv_macs(student, resolution) / 1e9:.2f} GMAC/image; features {describe(setup.features, feature_net)}; "
         + ("painting head: coverage and colour terms" if opts.head == "paint" else f"pixel loss {opts.pixel_loss}")
         + (f", absolute from {opts.l1_start:.0%} of training" if opts.l1_start is not None else "")
         + f"; adversarial weight {opts.adversarial_weight:g}"
         + (f" from {opts.adversarial_start:.0%} of training" if opts.adversarial_weight else "")
         + f"; region {opts.region or 'none'}; presence gate {setup.gate_note}"
         + (f"; the input's mouth kept (aligner {setup.mouth.name})" if setup.mouth is not None else "")
         + (f"; up to {opts.grain.share:g} of the input's grain taken off" if opts.grain.active else "")
         + (f"; latent pairs {setup.pairs.path} ({setup.pairs.faces} faces, {setup.pairs.held_out} held out"
            + (", each in its own region" if setup.pairs.regions is not None else "")
            + f"), partial edits {opts.partial_edit}" if setup.pairs is not None else "")
         + f"; device {setup.device}")
    started = time.time()  # the time limit and budget count the mouths found below
    if setup.mouth is not None and setup.pairs is not None:
        sampler.find_mouths()
        echo(f"keep-mouth: found the mouths of the {setup.pairs.faces} faces in {time.time() - started:.0f} s")
    pairs = sampler
    if opts.pool_size:
        pairs = PairPool(sampler, max(opts.pool_size, opts.batch_size), max(1, opts.batch_size // opts.reuse))
        echo(f"pool: {pairs.size} pairs on {setup.device}, {pairs.chunk} fresh per step "
             f"(each drawn ~{opts.batch_size / pairs.chunk:g} times)")
    result = train_student(pairs, student, settings, Path(opts.output) / STATE_DIR,
                           _fingerprint(opts, setup, settings), feature_net, opts.resume, echo, started)
    if setup.mouth is not None:
        echo(setup.mouth.report())
    return student, sampler, settings, result


def author(opts: AuthorOptions, echo: Callable[[str], None] = print) -> Path | None:
    """Author the preset; returns the bundle path, or ``None`` when ``time_limit``
    stopped training first (the state is saved; run again with ``resume``)."""
    out = Path(opts.output)
    check_output(out, opts.force)
    t0 = time.time()
    setup = _setup(opts)
    # What was resolved is what the rest records: the generator spec and eval source.
    opts = replace(opts, generator=setup.spec, eval_source=setup.eval_source)
    echo(f"face template: {setup.alignment_origin}")
    student, sampler, settings, result = _train(opts, setup, echo)
    if not result.done:
        return None
    student = student.float().cpu().eval()
    exported = _export(opts, setup, student, sampler, echo)
    quality, details = _quality(opts, setup, exported.model_bytes, sampler, echo)
    manifest = _manifest(opts, setup, student, settings, result, exported, quality, details)
    preview = _preview(opts, setup, exported.model_bytes)
    _write(opts, out, manifest, exported.model_bytes, preview)
    echo(f"wrote {out} ({exported.report.chosen}, {len(exported.model_bytes) / 1e6:.2f} MB, "
         f"psnr {exported.psnr:.2f} dB vs teacher, {exported.psnr_edited:.2f} dB on the pixels it edits at the "
         f"default strength (identity {exported.identity_psnr_edited:.2f}"
         + ("" if exported.psnr_edited_trained is None else f"; {exported.psnr_edited_trained:.2f} on faces it trained on")
         + f"), label {_label(quality)}) "
         f"in {time.time() - t0:.0f} s")
    return out


@dataclass
class Exported:
    model_bytes: bytes
    report: Any
    parity: float
    identity: float
    psnr: float
    identity_psnr: float
    held_out: int
    psnr_edited: float
    identity_psnr_edited: float
    psnr_edited_trained: float | None
    """On the faces the student trained on (latent pairs only): close to ``psnr_edited``
    when it underfits its teacher, far above it when it overfits."""


def _export(opts: AuthorOptions, setup: Setup, student: Any, sampler: PairSampler,
            echo: Callable[[str], None]) -> Exported:
    """ONNX export checked against torch, the variant choice, the identity check and
    the student-vs-teacher PSNR on held-out pairs."""
    from latentroom.plugins.distill.export import check_parity, choose_variant, export_onnx, psnr_np

    resolution = int(setup.generator.size)
    hx, hy, hs = sampler.held_out(opts.held_out_pairs, min(opts.batch_size, 64), HELD_OUT)
    cx, _, cs = sampler.held_out(min(64, opts.held_out_pairs), min(opts.batch_size, 64), CALIBRATION)
    echo("exporting ONNX (dynamo, opset 18) and checking it against torch")
    fp32 = export_onnx(student, resolution)
    parity = check_parity(student, fp32, hx[:4], sorted({setup.low, 0.0, setup.default, setup.high}))
    report = choose_variant(student, fp32, resolution, cx.numpy(), cs.numpy(), hx.numpy(), hs.numpy(), hy.numpy(),
                            variants=opts.variants, echo=echo)
    model_bytes = report.models[report.chosen]
    identity = _identity_error(model_bytes, hx[:4].numpy())
    if identity > IDENTITY_TOLERANCE:
        raise DistillError(f"the exported {report.chosen} model changes images at strength 0 "
                           f"(max abs diff {identity:.3g} > {IDENTITY_TOLERANCE:g})")
    if len(model_bytes) > MAX_BUNDLE_MODEL_BYTES:
        raise DistillError(f"the {report.chosen} model is {len(model_bytes) / 1e6:.1f} MB, over the "
                           f"{MAX_BUNDLE_MODEL_BYTES / 1e6:.0f} MB preset limit (use smaller --widths)")
    # Measured on the same held-out pairs when choosing the variant.
    return Exported(model_bytes, report, parity, identity, report.psnr[report.chosen],
                    float(psnr_np(hx.numpy(), hy.numpy()).mean()), len(hx),
                    *_edited_fidelity(opts, setup, model_bytes, sampler))


def _edited_fidelity(opts: AuthorOptions, setup: Setup, model_bytes: bytes,
                     sampler: PairSampler) -> tuple[float, float, float | None]:
    """Student vs teacher over the pixels the teacher edits, at the default strength,
    on held-out pairs; the same for the identity (the student that does nothing); and,
    with latent pairs (a fixed set of faces), the student's on the faces it trained on."""
    from latentroom.plugins.distill.export import psnr_where_edited, run_onnx, session

    sess = session(model_bytes)

    def fidelity(stream: int) -> tuple[float, float]:
        x, y, s = (t.numpy() for t in sampler.held_out(opts.held_out_pairs, min(opts.batch_size, 64), stream,
                                                       strength=setup.default))
        return psnr_where_edited(x, y, run_onnx(sess, x, s)), psnr_where_edited(x, y, x)

    held_out, identity = fidelity(HELD_OUT)
    return held_out, identity, None if setup.pairs is None else fidelity(FIT)[0]


def _quality(opts: AuthorOptions, setup: Setup, model_bytes: bytes, sampler: PairSampler,
             echo: Callable[[str], None]) -> tuple[dict[str, float], dict[str, Any]]:
    # Held-out renders are chosen only for a toyfaces generator: the renderer's truth is known.
    if setup.eval_source == "renders":
        return _truth_quality(opts, setup, model_bytes, sampler, echo)
    return _measure(opts, setup, model_bytes, echo)


def _truth_quality(opts: AuthorOptions, setup: Setup, model_bytes: bytes, sampler: PairSampler,
                   echo: Callable[[str], None]) -> tuple[dict[str, float], dict[str, Any]]:
    """The renderer's truth and the independent judge, at the default strength, half of
    it and its opposite (``evaluation_strengths``), for the preset, the preset as
    ``apply`` runs it (with a face template; the label is of that) and (unless
    ``--inverter none``) the generator path. A continuous attribute's truth is drawn at
    the amount the teacher makes: the direction's edit of the generator's samples, or
    with latent pairs the pairs' own on their held-out faces (``pairs_teacher_amount``),
    as a direction's student is graded at its direction's."""
    from latentroom.engine.plugins import get_inverter
    from latentroom.plugins.toyfaces.classifier import load as load_network
    from latentroom.plugins.toyfaces.evaluate_preset import (applied_edit, evaluate_preset, evaluation_strengths,
                                                             pairs_teacher_amount, preset_edit)

    judge = load_network(setup.device, arch="judge")
    inverter = None
    if opts.inverter != "none":
        inverter = get_inverter(opts.inverter).value(setup.generator, setup.device, **opts.inverter_options)
    strengths = evaluation_strengths(setup.default, setup.low, setup.high)
    applied = None if setup.alignment is None else applied_edit(model_bytes, setup.alignment)
    amount_of = None
    if setup.pairs is not None:
        amount_of = partial(pairs_teacher_amount, sampler.in_place(), judge=judge, samples=opts.held_out_pairs,
                            batch_size=min(opts.batch_size, 64))
    evaluation = evaluate_preset(preset_edit(model_bytes), setup.direction, strengths, setup.generator, judge,
                                 setup.region, inverter, opts.eval_images, echo, applied, amount_of)
    if opts.sheet is not None:
        from PIL import Image

        from latentroom.engine.atomic import atomic_write

        atomic_write(Path(opts.sheet), lambda f: Image.fromarray(evaluation.sheet).save(f, format="PNG"))
    metrics = {"n_images": float(opts.eval_images), "eval_strength": setup.default, **evaluation.headline()}
    return metrics, {"truth": evaluation.to_json(), "judge": "toyfaces judge (plugins/toyfaces/weights/judge.pt)",
                     "inverter": opts.inverter}


def _label(quality: dict[str, float]) -> str:
    from latentroom.engine.presets.manifest import quality_label

    return quality_label(quality).split(" (")[0]


def _preview(opts: AuthorOptions, setup: Setup, model_bytes: bytes) -> bytes:
    from latentroom.plugins.distill.quality import preview_png

    low, high, default = setup.low, setup.high, setup.default
    strengths = sorted({low, low / 2 if low < 0 else low, default, high} - {0.0})
    images = _eval_images(opts, 3, int(setup.generator.size), setup.generator)[0]
    return preview_png(model_bytes, images, strengths)


@dataclass
class StudentSize:
    """Recorded twice (``metrics`` and ``x-distill``), measured once: MACs take a forward pass."""

    parameters: int
    macs_per_image: int


def _manifest(opts: AuthorOptions, setup: Setup, student: Any, settings: TrainSettings, result: Any,
              exported: Exported, quality: dict[str, float], details: dict[str, Any]) -> dict[str, Any]:
    from latentroom.engine.presets import sha256_bytes
    from latentroom.engine.presets.manifest_builder import EditProvenance, StrengthRange, build_manifest
    from latentroom.plugins.distill.export import OPSET

    direction = setup.direction
    attribute = direction.attribute.replace("_", " ").capitalize()
    size = StudentSize(count_parameters(student), conv_macs(student, int(setup.generator.size)))
    return build_manifest(
        name=opts.name,
        title=opts.title or opts.name.replace("_", " ").replace("-", " ").capitalize(),
        description=opts.description if opts.description is not None else
        f"{attribute} edit distilled from the {opts.generator or 'toyfaces'} generator; {_strength_unit(setup)}.",
        version=opts.version, author=opts.author, license=opts.license,
        model_sha256=sha256_bytes(exported.model_bytes), opset=_opset(exported.model_bytes, OPSET),
        resolution=int(setup.generator.size),
        strength=StrengthRange(min=setup.low, max=setup.high, default=setup.default),
        provenance=EditProvenance(generator=opts.generator or "toyfaces",
                                  generator_weights_sha256=getattr(setup.generator, "weights_sha256", None),
                                  direction_source=direction.provenance.source, attribute=direction.attribute,
                                  layers=direction.layers),
        metrics=_metrics(size, result, exported, quality),
        requires_plugins=required_plugins(opts, direction, setup.alignment),
        alignment=setup.alignment,
        extensions={"x-distill": _distill_record(opts, setup, size, settings, result, exported, details)},
    )


def _strength_unit(setup: Setup) -> str:
    """What a strength of the preset means, for its default description."""
    if setup.pairs is None:
        return "strength in data standard deviations"
    # Each pair moves its face by |s| / truth_strength of its own true offset.
    return f"strength {setup.pairs.truth_strength:.3g} is each face's true edit"


def _metrics(size: StudentSize, result: Any, exported: Exported, quality: dict[str, float]) -> dict[str, float]:
    """The manifest's measured numbers: fidelity to the teacher, quality, size, training."""
    metrics: dict[str, float] = {
        "psnr": round(exported.psnr, 3),
        "psnr_identity_baseline": round(exported.identity_psnr, 3),
        "psnr_edited_pixels": round(exported.psnr_edited, 3),
        "psnr_edited_pixels_identity": round(exported.identity_psnr_edited, 3),
        **({} if exported.psnr_edited_trained is None
           else {"psnr_edited_pixels_trained_faces": round(exported.psnr_edited_trained, 3)}),
        "n_pairs_held_out": float(exported.held_out),
        "onnx_max_abs_diff": float(f"{exported.parity:.3g}"),
        "strength0_max_abs_diff": float(exported.identity),
        **quality,
        **exported.report.metrics(),
        "student_parameters": float(size.parameters),
        "student_gmacs": round(size.macs_per_image / 1e9, 4),
        "train_steps": float(result.step),
        "train_seconds": round(result.seconds, 1),
    }
    # Five significant digits: more would be noise, and preset show prints them all.
    # A figure that could not be measured (NaN) is left out rather than written.
    return {k: float(f"{v:.5g}") for k, v in metrics.items() if math.isfinite(v)}


def _distill_record(opts: AuthorOptions, setup: Setup, size: StudentSize, settings: TrainSettings, result: Any,
                    exported: Exported, details: dict[str, Any]) -> dict[str, Any]:
    """The manifest's ``x-distill``: how the preset was made (direction, student,
    training, variants, quality details and what the evaluation ran on)."""
    from latentroom.plugins.directions.scoring import scorer_name

    direction = setup.direction
    return {
        "direction_file": Path(opts.direction).name,
        "direction_vector_sha256": direction.to_json("v")["vector_sha256"],
        "direction_scale": direction.scale,
        "region": None if opts.region is None else {"file": Path(opts.region).name, "sha256": setup.region_sha256},
        "presence_gate": _gate_name(setup),
        "latent_pairs": None if setup.pairs is None else _pairs_record(opts, setup, details),
        "jitter": opts.jitter.to_json(),
        "grain_jitter": opts.grain.to_json(),
        "keep_mouth": _mouth_record(setup),
        "student": {**setup.config.to_json(), "parameters": size.parameters, "macs_per_image": size.macs_per_image,
                    "resolution": int(setup.generator.size)},
        "training": {**settings_json(settings), "features": setup.features, "truncation": opts.truncation,
                     "seed": opts.seed, "final_losses": result.last},
        "variants": exported.report.summary(), "quality": details,
        "eval": {"source": opts.eval_source, **_eval_folder_json(opts),
                 "scorer": "toyfaces judge" if setup.scorer is None else scorer_name(setup.scorer),
                 "inverter": opts.inverter, "inverter_options": opts.inverter_options},
    }


def _pairs_record(opts: AuthorOptions, setup: Setup, details: dict[str, Any]) -> dict[str, Any]:
    """The latent pairs' record, with the amounts their teacher makes at the strengths
    measured (the truth's, ``_truth_quality``): ``toyfaces evaluate`` grades the preset
    at them again without the pairs file, which is not shipped."""
    amounts = details.get("truth", {}).get("truth_amounts")
    return {**setup.pairs.describe(), "partial_edit": opts.partial_edit,
            **({"teacher_amounts": amounts} if amounts else {})}


def _write(opts: AuthorOptions, out: Path, manifest: dict[str, Any], model_bytes: bytes, preview: bytes) -> None:
    from latentroom.engine.presets import write_bundle
    from latentroom.plugins.distill.train import STATE_FILE

    # write_bundle replaces the whole directory, state included: the state is kept
    # only on request (to train further with --resume --steps MORE, or re-export).
    state_file = out / STATE_DIR / STATE_FILE
    state_bytes = state_file.read_bytes() if opts.keep_state else None
    write_bundle(out, manifest, model_bytes, preview=preview, overwrite=True)
    if state_bytes is not None:
        atomic_write_bytes(state_file, state_bytes)


def _identity_error(model_bytes: bytes, images: np.ndarray) -> float:
    from latentroom.plugins.distill.export import run_onnx, session

    out = run_onnx(session(model_bytes), images, np.zeros(len(images), np.float32))
    return float(np.abs(out - images).max())


def _opset(model_bytes: bytes, default: int) -> int:
    import onnx

    model = onnx.load_from_string(model_bytes)
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default)


def _eval_folder_json(opts: AuthorOptions) -> dict[str, Any]:
    return {} if opts.eval_folder is None else {"images": Path(opts.eval_folder).name}


def _eval_images(opts: AuthorOptions, n: int, resolution: int,
                 generator: Any) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
    """``renders``: held-out toyfaces renders (with their parameters, the truth);
    ``samples``: held-out generator samples; ``images``: the user's images from
    ``--images`` (up to ``n``; unreadable files are skipped). No truth for the last two."""
    from latentroom.plugins.distill.quality import RENDER_SEED, held_out_renders

    if opts.eval_source == "renders":
        return held_out_renders(n, resolution)
    if opts.eval_source == "images":
        return _folder_images(Path(opts.eval_folder), n, resolution), None
    if opts.eval_source == "samples":
        from latentroom.plugins.directions.sampling import sample_w

        ws = sample_w(generator, n, RENDER_SEED)
        with torch.no_grad():
            images = [generator.synthesis(ws[i:i + 32].to(generator.device), noise_mode="const").float().clamp(-1, 1).cpu()
                      for i in range(0, n, 32)]
        return torch.cat(images).numpy(), None
    raise DistillError(f"--eval-source {opts.eval_source!r}: expected auto, renders or samples")


def _folder_images(folder: Path, n: int, resolution: int) -> np.ndarray:
    """Up to ``n`` images from ``folder``, centre-cropped and resized like ``invert``'s."""
    from latentroom.engine.errors import LatentroomError
    from latentroom.engine.imaging import load_square_image
    from latentroom.engine.inputs import collect_inputs

    inputs, _ = collect_inputs([folder])
    arrays = []
    for item in inputs:
        if len(arrays) == n:
            break
        try:
            arrays.append(load_square_image(item.path, resolution))
        except LatentroomError:
            continue  # a bad file among the user's images does not stop authoring
    if not arrays:
        raise DistillError(f"--images {folder}: no readable images")
    return np.stack(arrays)


def _measure(opts: AuthorOptions, setup: Setup, model_bytes: bytes,
             echo: Callable[[str], None]) -> tuple[dict[str, float], dict[str, Any]]:
    from latentroom.engine.plugins import get_inverter
    from latentroom.plugins.distill.quality import measure_quality

    generator = setup.generator
    images, params = _eval_images(opts, opts.eval_images, int(generator.size), generator)
    inverter = None
    if opts.inverter != "none":
        inverter = get_inverter(opts.inverter).value(generator, setup.device, **opts.inverter_options)
    echo(f"measuring quality on {len(images)} held-out {opts.eval_source} at strength {setup.default:g}"
         + (f" (generator path: {opts.inverter})" if inverter is not None else ""))
    return measure_quality(model_bytes, images, params, setup.direction, setup.default, setup.scorer, generator,
                           inverter, opts.eval_batch_size, echo)


def parse_range(text: str) -> tuple[float, float]:
    """``"A,B"`` -> ``(A, B)``; :class:`DistillError` unless two finite numbers A < B."""
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise DistillError(f"--strength-range {text!r}: expected LOW,HIGH (e.g. -3,3)") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise DistillError(f"--strength-range {text!r}: expected finite LOW < HIGH")
    return low, high


__all__: Sequence[str] = ["AuthorOptions", "author", "parse_range", "resolve_alignment", "resolve_features",
                          "default_strength_for", "load_direction", "check_output", "STATE_DIR", "MAX_BUNDLE_MODEL_BYTES"]
