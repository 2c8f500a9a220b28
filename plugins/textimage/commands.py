"""``latentroom text-edit``: StyleCLIP's latent optimisation on single images.

Registered by the textimage plugin (``register_commands``). Each image is inverted
with a registered inverter, as ``latentroom edit`` does (same options, same input
rule, same output names), then its W+ latent is optimised toward a text
(:mod:`latentroom.plugins.textimage.latent_optimisation`) and the generator renders
the result to OUTDIR/NAME.png, written atomically. The settings, the text-image model
and the text are checked as soon as the generator is loaded (its layer count and its
own text-image model are needed), before any image is inverted.

Torch is imported inside the command body, so ``latentroom --help`` stays torch-free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from latentroom.engine.cli_options import GENERATOR_DEFAULT, key_value_option
from latentroom.plugins.inverters.session import (EditedImageWriter, Failures, exit_on_failures, gather_inputs,
                                                  invert_files, inversion_options, open_session)


@click.command("text-edit")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--text", required=True, help="What the image should become, e.g. 'a smiling face'.")
@click.option("--neutral", default="a face", show_default=True,
              help="The same description without the edit: the edit is the move from it to --text.")
@click.option("--model", "model_spec", default="auto", show_default=True, metavar="NAME[:ARGUMENT]",
              help="Registered text-image model (toyfaces-clip, openclip:CHECKPOINT.pt, a plugin's); "
                   "auto: the generator's own.")
@key_value_option("-M", "--model-option", dest="model_pairs",
                  help="Text-image model option, repeatable (e.g. -M vocab=bpe_simple_vocab_16e6.txt.gz).")
@click.option("--text-steps", type=click.IntRange(min=1), default=60, show_default=True,
              help="Optimisation steps toward the text (--steps is the inverter's).")
@click.option("--lr", type=float, default=0.01, show_default=True,
              help="Adam learning rate on the W+ offset: each step moves every coordinate by up to about this.")
@click.option("--l2", type=float, default=0.008, show_default=True,
              help="Weight of the squared W+ distance from the inversion.")
@click.option("--max-distance", type=float, default=None,
              help="Hard budget: the W+ offset's norm never exceeds this.")
@click.option("--layers", default="all", show_default=True,
              help="W+ layers that may move: coarse, middle, fine, all, or indices such as 0-3,5.")
@click.option("--features", "features_spec", default="none", show_default=True,
              help="Feature network keeping the rest of the image: a registered name, auto (the "
                   "generator's default_features), or none.")
@click.option("--feature-weight", type=float, default=1.0, show_default=True,
              help="Weight of the feature-preservation term (with --features).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for the edited images.")
@inversion_options(GENERATOR_DEFAULT)
def text_edit_command(images: tuple[Path, ...], output: Path, inverter_name: str, spec: str | None,
                      batch_size: int, steps: int | None, option_pairs: tuple[str, ...], device: str,
                      **edit: Any) -> None:
    """Edit IMAGES (files, folders or glob patterns) toward a text by optimising each one's latent.

    Each image is written as OUTDIR/NAME.png (or its path inside a folder argument), like edit.
    """
    from latentroom.engine.plugins import DEFAULT_GENERATOR

    failures = Failures()
    inputs = gather_inputs(images, failures, exclude=output)
    session = open_session(spec or DEFAULT_GENERATOR, inverter_name, device, steps, option_pairs)
    plan = TextEditPlan.build(session.generator, session.device, edit)
    writer = EditedImageWriter(output, failures)
    for files, ws, noise in invert_files(session, inputs, batch_size, failures, "text-editing"):
        result = plan.run(ws, noise)
        for item in writer.write(files, result.images):
            index = files.index(item)
            click.echo(f"{item.relative.as_posix()}: text score {result.score_before[index]:+.3f} -> "
                       f"{result.score_after[index]:+.3f}, W+ distance {result.distance[index]:.2f}")
    click.echo(f"wrote {writer.written} image(s) to {output} ({plan.settings.text!r}, {plan.model.name}, "
               f"{session.inverter_name}, {session.device})")
    exit_on_failures(failures)


class TextEditPlan:
    """The checked settings, the text-image model and the feature network for one run."""

    def __init__(self, generator: Any, model: Any, settings: Any, features: Any) -> None:
        self.generator, self.model, self.settings, self.features = generator, model, settings, features

    @classmethod
    def build(cls, generator: Any, device: str, edit: dict[str, Any]) -> "TextEditPlan":
        """Settings from the command's options, checked, then the models they name;
        the text is embedded once here, so an unreadable one fails before inverting."""
        from latentroom.engine.cli_options import parse_options
        from latentroom.engine.direction import parse_layers
        from latentroom.plugins.inverters.features import load_feature_net
        from latentroom.plugins.textimage.latent_optimisation import TextEditSettings, text_direction
        from latentroom.plugins.textimage.model_choice import resolve_for_generator

        features = load_feature_net(edit["features_spec"], device, generator)
        settings = TextEditSettings(
            text=edit["text"], neutral=edit["neutral"], steps=edit["text_steps"], learning_rate=edit["lr"],
            l2=edit["l2"], max_distance=edit["max_distance"],
            layers=parse_layers(edit["layers"], int(generator.n_latent)),
            feature_weight=edit["feature_weight"] if features is not None else 0.0)
        settings.check(int(generator.n_latent))
        model = resolve_for_generator(generator, edit["model_spec"], device, "--model",
                                      **parse_options(edit["model_pairs"], "--model-option"))
        text_direction(model, settings)
        return cls(generator, model, settings, features)

    def run(self, ws: Any, noise: Any) -> Any:
        """Optimise one batch of inverted latents (a ``TextEditResult``, renders included)."""
        from latentroom.plugins.inverters.common import supports_noise
        from latentroom.plugins.textimage.latent_optimisation import optimise_latents

        noise = noise if supports_noise(self.generator) else None
        return optimise_latents(self.generator, self.model, ws, self.settings, noise, self.features)
