"""latentroom hooks for the distillation plugin: the ``author`` command.

Imported whenever plugins load (the torch-free apply path included), so nothing
heavy is imported here: torch and the training code load inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from latentroom.engine import hookimpl
from latentroom.engine.cli_options import (FROM_DIRECTION, device_option, generator_option, key_value_option,
                                           scorer_option)


@click.command("author")
@click.argument("name")
@click.option("--direction", "direction_path", type=click.Path(path_type=Path), required=True,
              help="Direction file (NAME.json with its NAME.npy) found on the generator.")
@generator_option(FROM_DIRECTION)
@click.option("--strength-range", default=None, metavar="A,B",
              help="Strengths the preset accepts (default: the direction's suggested range).")
@click.option("--default-strength", type=float, default=None,
              help="The preset's default strength (default: 1 clipped into the range).")
@click.option("--pairs", type=click.IntRange(min=1), default=None,
              help="Training pairs to generate (steps = pairs / batch size); --steps wins.")
@click.option("--steps", type=click.IntRange(min=1), default=None,
              help="Optimiser steps in total over all resumed runs  [default: 20000].")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@device_option
@click.option("--resume", is_flag=True, help="Continue from DIR/.author-state (same options).")
@click.option("--time-limit", type=float, default=None, metavar="SECONDS",
              help="Train at most this long in this run, then save the state and stop (resume later).")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Train this long in all (over resumed runs; finding a pairs file's mouths for "
                   "--keep-mouth counts), annealing the learning rate against it, then finish the preset.")
@click.option("--truncation", type=float, default=None, help="Truncation of training latents  [default: 0.9].")
@click.option("--widths", default=None, metavar="W0,W1,...",
              help="Student channel widths per level  [default: 16,32,64,128,160].")
@click.option("--head", type=click.Choice(["transposed", "full", "flatten", "smooth-flatten", "paint"]),
              default="transposed",
              show_default=True,
              help="Student output head: a 2x2 transposed conv from half resolution; two 3x3 convs at full "
                   "resolution (1.5x the student's MACs, half its CPU speed at batch 16; no 2-pixel dot grid "
                   "under --adversarial-weight); the transposed conv with a learnt flattening, which takes the "
                   "input's fine texture away where the edit paints a flat fill (a beard, longer hair) that a "
                   "residual alone leaves see-through; that one through a fixed 3x3 binomial blur, which "
                   "cannot draw the transposed conv's 2-pixel dot hatching; or a painting head (a hardened "
                   "coverage and a colour, each taught on its own in place of the pixel term), which paints "
                   "all or nothing where the teacher's drawings differ instead of their see-through average.")
@click.option("--lr", type=float, default=2e-3, show_default=True)
@click.option("--features", default="auto", show_default=True,
              help="Feature network of the perceptual loss: auto (the generator's own, e.g. toyfaces-classifier "
                   "for toyfaces; else none), none, or a registered NAME[:ARGUMENT] such as discriminator:PATH.")
@click.option("--feature-weight", type=float, default=0.5, show_default=True)
@click.option("--pixel-loss", type=click.Choice(["mse", "l1", "relative"]), default="mse", show_default=True,
              help="Pixel term of the loss: mean squared error; L1 (held at the identity by edits that "
                   "leave most pixels unchanged); or each pair's squared error relative to the size of its "
                   "edit, so a faint edit (dark glasses on dark skin) counts as much as a strong one "
                   "(docs/distillation.md).")
@click.option("--l1-start", type=click.FloatRange(0.0, 1.0), default=None, metavar="SHARE",
              help="Share of training after which the pixel term takes each pixel's absolute error instead of "
                   "its square (relative to the edit's size under --pixel-loss relative): where the teacher's "
                   "drawings of one face disagree, one of them (their median) instead of a double exposure "
                   "(their mean), but also none of what the teacher does to fewer than half of similar faces  "
                   "[default: never].")
@click.option("--adversarial-weight", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Weight of the conditional patch-discriminator term (0: pixel and feature terms only).")
@click.option("--adversarial-start", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Share of training before the adversarial term switches on (it ramps to full weight "
                   "over the next tenth).")
@click.option("--region", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Grayscale mask image at the generator's resolution: the teacher's edit is kept only "
                   "where it is white (a local edit). toyfaces: `latentroom toyfaces region ATTRIBUTE`.")
@click.option("--latent-pairs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Train on these faces' own recorded edits instead of the direction's prediction of them "
                   "(a file written beside DIRECTION, e.g. by `direction find inverted-truth --param "
                   "pairs=FILE`; docs/distillation.md).")
@click.option("--partial-edit", type=click.Choice(["fade", "latent"]), default=None,
              help="With --latent-pairs, how a strength below the truth's is drawn: fade (each face's whole "
                   "edit faded in on the image: one drawing per face, the strength its opacity) or latent "
                   "(the generator at that share of the face's offset, which for a yes/no attribute draws "
                   "something else at each amount)  [default: fade].")
@click.option("--jitter-shift", type=click.FloatRange(min=0), default=0.0, show_default=True, metavar="PIXELS",
              help="Move each teacher pair by up to this many pixels on each axis (both images alike), so the "
                   "student sees the edit wherever apply's face crop puts the face.")
@click.option("--jitter-scale", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Scale each pair by a factor between 1/(1+S) and 1+S.")
@click.option("--jitter-rotate", type=click.FloatRange(min=0), default=0.0, show_default=True, metavar="DEGREES",
              help="Turn each pair by up to this many degrees.")
@click.option("--grain-jitter", type=click.FloatRange(0, 1), default=0.0, show_default=True, metavar="SHARE",
              help="Take a random share, 0 to SHARE for each pair, of the input's finest grain (the input less "
                   "its 3x3 binomial blur) off both images of the pair: the generator draws a grain that "
                   "renders lack, and a student of its images alone draws less of its edit on them.")
@click.option("--keep-mouth", is_flag=True,
              help="Keep the input's own lips in each teacher target, where the edit redraws the mouth with it "
                   "(a beard): the teacher's lips filled in and the input's drawn over, found round the mouth "
                   "corners that the face template's aligner finds on the input (once per face before training "
                   "with --latent-pairs; otherwise on every new pair, at the aligner's speed). Without it the "
                   "student under an opaque fill keeps a faint or doubled mouth.")
@click.option("--presence-gate", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Yes/no attributes: the teacher leaves a face as it is where it already has the attribute "
                   "(positive strengths) or lacks it (negative), as the scorer reads the input, so adding "
                   "glasses draws no second pair. auto: where the scorer (--scorer, the direction's, else the "
                   "generator's own) reads the attribute as yes/no, and not with --latent-pairs (the pairs "
                   "already leave such a face as it is).")
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the evaluation's contact sheet (input | generator path | preset | truth) here "
                   "(toyfaces only).")
@click.option("--fast-teacher/--plain-teacher", default=True, show_default=True,
              help="On CUDA, run the teacher compiled in bf16 with CUDA graphs.")
@click.option("--pool-size", type=click.IntRange(min=0), default=0, show_default=True, metavar="PAIRS",
              help="Keep this many teacher pairs on the device and train on draws from them (0: fresh "
                   "pairs every step); each step then makes only batch/--reuse new pairs.")
@click.option("--reuse", type=click.IntRange(min=1), default=4, show_default=True,
              help="With --pool-size: how many times a teacher pair is drawn on average.")
@click.option("--save-every", type=click.IntRange(min=1), default=500, show_default=True,
              help="Steps between state saves.")
@click.option("--log-every", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--eval-images", type=click.IntRange(min=1), default=500, show_default=True,
              help="Held-out images for the quality metrics.")
@click.option("--eval-source", type=click.Choice(["auto", "renders", "samples"]), default="auto", show_default=True,
              help="Quality measured on held-out toyfaces renders (auto for a toyfaces generator: the truth is "
                   "known) or held-out generator samples (auto for any other generator).")
@click.option("--images", "eval_folder", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              metavar="FOLDER", help="Measure quality on your own images from FOLDER instead (up to --eval-images).")
@click.option("--held-out-pairs", type=click.IntRange(min=4), default=256, show_default=True,
              help="Held-out teacher pairs for student-vs-teacher PSNR and the variant choice.")
@scorer_option("Attribute scorer for the quality metrics on samples or --images and the presence gate",
               "Default: the one the direction was found with, else the generator's own.")
@click.option("--alignment", default=None, metavar="FILE|none",
              help="Face template for apply to align faces with: a JSON file holding the manifest's alignment "
                   "section, or a preset.json to copy it from; 'none' edits whole frames  [default: the "
                   "generator's own (toyfaces has one), else none, said at the start].")
@click.option("--inverter", default="hybrid", show_default=True,
              help="Inverter of the generator path in the quality metrics ('none' to skip it).")
@key_value_option("-O", "--inverter-option", dest="option_pairs",
                  help="Inverter option, repeatable (e.g. -O steps=30 -O weights=enc.pt).")
@click.option("--variants", default="fp16,int8", show_default=True,
              help="ONNX variants to try against fp32 ('none' for fp32 only).")
@click.option("--keep-state", is_flag=True, help="Keep DIR/.author-state after writing the bundle.")
@click.option("--force", is_flag=True, help="Replace a preset already in DIR.")
@click.option("--title", default=None, help="Display title  [default: from NAME].")
@click.option("--description", default=None, help="One paragraph for preset show  [default: from the direction].")
@click.option("--version", "preset_version", default="1.0.0", show_default=True, help="The preset's version.")
@click.option("--author", "preset_author", default="", help="Who made the preset (name, email or organisation).")
@click.option("--license", "preset_license", default="NOASSERTION", show_default=True,
              help="The preset's licence, an SPDX identifier such as MIT or CC-BY-4.0 (NOASSERTION: not stated).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Bundle directory to write.")
def author_command(name: str, direction_path: Path, spec: str | None, strength_range: str | None,
                   default_strength: float | None, pairs: int | None, steps: int | None, batch_size: int,
                   seed: int, device: str, resume: bool, time_limit: float | None, time_budget: float | None,
                   truncation: float | None,
                   widths: str | None, head: str, lr: float, features: str, feature_weight: float,
                   pixel_loss: str, l1_start: float | None, adversarial_weight: float, adversarial_start: float,
                   region: Path | None,
                   latent_pairs: Path | None, partial_edit: str | None, jitter_shift: float, jitter_scale: float,
                   jitter_rotate: float, grain_jitter: float, keep_mouth: bool, presence_gate: str,
                   sheet: Path | None, fast_teacher: bool,
                   pool_size: int, reuse: int, save_every: int,
                   log_every: int, eval_images: int, eval_source: str, eval_folder: Path | None,
                   held_out_pairs: int, scorer_specs: tuple[str, ...], alignment: str | None,
                   inverter: str, option_pairs: tuple[str, ...], variants: str, keep_state: bool, force: bool,
                   title: str | None, description: str | None, preset_version: str, preset_author: str,
                   preset_license: str, output: Path) -> None:
    """Distil a generator edit (DIRECTION on GENERATOR) into preset NAME, written to -o DIR.

    Trains a small strength-conditioned student on teacher pairs generated on the fly,
    exports ONNX (checked against torch), picks an fp16/int8 variant only where it is
    faster at equal quality, measures quality (toyfaces: against the renderer's truth
    with the independent judge) and writes the bundle. The manifest records --title,
    --description, --version, --author and --license, the face template (--alignment,
    else the generator's own) and the plugins whose generator, direction source,
    inverter and aligner were used (requires_plugins). See docs/distillation.md.
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        from latentroom.engine.errors import LatentroomError

        raise LatentroomError("author needs torch and onnx: install latentroom[author]") from None
    from latentroom.engine.cli_options import parse_options, parse_widths
    from latentroom.engine.presets.manifest import NAME_RE
    from latentroom.plugins.distill.author import AuthorOptions, author, parse_range
    from latentroom.plugins.distill.errors import DistillError
    from latentroom.plugins.distill.grain import GrainJitter
    from latentroom.plugins.distill.jitter import Jitter
    from latentroom.plugins.distill.pairs import DEFAULT_TRUNCATION
    from latentroom.plugins.distill.student import DEFAULT_WIDTHS

    if not NAME_RE.fullmatch(name):
        raise DistillError(f"preset name {name!r}: use 1-64 characters of a-z 0-9 . _ - starting with a letter or digit")
    for flag, value in (("--version", preset_version), ("--license", preset_license)):
        if not value.strip():  # the manifest needs them: fail now, not after training
            raise DistillError(f"{flag} must not be empty")
    if partial_edit is not None and latent_pairs is None:
        raise DistillError("--partial-edit applies to --latent-pairs only: a direction's edit has no truth strength")
    if head == "paint" and (pixel_loss != "mse" or l1_start is not None):
        raise DistillError("--head paint trains its coverage and colour terms in place of the pixel term: "
                           "drop --pixel-loss and --l1-start")
    if steps is None:
        steps = -(-pairs // batch_size) if pairs is not None else 20_000
    chosen = tuple(v.strip() for v in variants.split(",") if v.strip() and v.strip() != "none")
    options: dict[str, Any] = dict(
        name=name, direction=direction_path, output=output, generator=spec,
        strength_range=parse_range(strength_range) if strength_range else None,
        default_strength=default_strength, steps=steps, batch_size=batch_size, seed=seed, device=device,
        resume=resume, force=force, truncation=DEFAULT_TRUNCATION if truncation is None else truncation,
        widths=parse_widths(widths) if widths else DEFAULT_WIDTHS, head=head, lr=lr, features=features,
        feature_weight=feature_weight, pixel_loss=pixel_loss, l1_start=l1_start, adversarial_weight=adversarial_weight,
        adversarial_start=adversarial_start, region=region, latent_pairs=latent_pairs,
        partial_edit=partial_edit or "fade", jitter=Jitter(jitter_shift, jitter_scale, jitter_rotate),
        grain=GrainJitter(grain_jitter),
        keep_mouth=keep_mouth, presence_gate=presence_gate, sheet=sheet,
        fast_teacher=fast_teacher, pool_size=pool_size, reuse=reuse, save_every=save_every, log_every=log_every, time_limit=time_limit,
        time_budget=time_budget,
        held_out_pairs=held_out_pairs, eval_images=eval_images, eval_source=eval_source, eval_folder=eval_folder,
        scorer=list(scorer_specs) or None, alignment=alignment,
        inverter=inverter, inverter_options=parse_options(option_pairs), variants=chosen, keep_state=keep_state,
        title=title, description=description, version=preset_version, author=preset_author,
        license=preset_license)
    done = author(AuthorOptions(**options), echo=lambda line: click.echo(line, err=True))
    if done is None:
        click.echo(f"paused: state saved in {output}/.author-state; rerun with --resume to continue")
    else:
        click.echo(f"wrote preset {name} to {done}")


@hookimpl
def register_commands(cli: Any) -> None:
    cli.add_command(author_command)
