"""Measure the inverters on held-out toyfaces renders: quality, fidelity, editability, speed.

    python scripts/measure_inversion.py --generator toyfaces --direction directions/smile.json \
        --n 256 --out-json inversion-cuda.json --out-md inversion.md
    python scripts/measure_inversion.py ... --device cpu --n 8 --out-json inversion-cpu.json
    python scripts/measure_inversion.py ... --merge-cpu inversion-cpu.json   # adds the CPU column

For N renders drawn with renderer seed ``--seed`` (default 10_000: disjoint from the
seeds the generator, classifier and encoder trained on, which are small integers
or generator samples), for each method (projector in W, projector in W+, encoder,
hybrid):

* **PSNR** (dB) of the reconstruction ``G(invert(x))`` against ``x`` (at the
  generator's resolution, with the fitted noise maps when the method fits them);
* **attribute MAE**: mean absolute difference of the toyfaces classifier's
  predictions (0-1 scale, continuous attributes) between input and reconstruction;
* **editability**: the direction's mean effect on its attribute (classifier, after
  minus before, strength ``--strength``) when applied to the inverted codes,
  divided by its mean effect on N GAN samples: 100% means inverted images edit
  like the generator's own;
* **time per image**: wall time of ``invert`` over all N images / N (batches of
  ``--batch-size``; CUDA synchronised), model loading excluded.

Writes a JSON record and a markdown table (for docs/inversion.md).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from latentroom.engine.atomic import atomic_write_text
from latentroom.engine.cli_options import key_value_option, parse_options

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# method label -> (registered inverter, options)
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "projector-w": ("projector", {"space": "w"}),
    "projector-w+": ("projector", {"space": "w+"}),
    "encoder": ("encoder", {}),
    "hybrid": ("hybrid", {}),
}


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _classify(classifier: Any, images: Any) -> np.ndarray:
    return classifier.predict(images.float().clamp(-1, 1))


def _render_inputs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from latentroom.plugins.toyfaces.renderer import attribute_matrix, render, sample_params

    params = sample_params(np.random.default_rng(seed), n)
    return render(params), attribute_matrix(params)


def measure(generator_spec: str | None, direction_path: Path | None, attribute: str | None,
            strength: float | None, n: int, batch_size: int, seed: int, device: str, methods: list[str],
            encoder_weights: str | None, projector_steps: int | None, hybrid_steps: int | None,
            hybrid_options: dict[str, Any],
            features: str | None, classifier_path: str | None) -> dict[str, Any]:
    import torch

    from latentroom.engine.devices import pick_torch_device
    from latentroom.engine.plugins import get_inverter, resolve_generator
    from latentroom.plugins.inverters.common import psnr, supports_noise, synthesize
    from latentroom.plugins.inverters.features import resize

    device = pick_torch_device(device)
    generator = resolve_generator(generator_spec, device)
    renders, _truth = _render_inputs(n, seed)
    inputs = torch.from_numpy(renders).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)

    classifier, attr_names, cont_idx = None, [], []
    if classifier_path != "none":
        try:
            from latentroom.plugins.toyfaces import classifier as toy_classifier

            classifier = toy_classifier.load(device, classifier_path)
            from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

            attr_names = list(ATTRIBUTE_NAMES)
            cont_idx = list(toy_classifier.CONTINUOUS_IDX)
        except Exception as exc:  # measured without attribute metrics, and said so
            click.echo(f"warning: no attribute classifier ({exc}); attribute MAE and editability skipped", err=True)
            classifier = None

    direction, offset, attr_index = None, None, None
    if direction_path is not None:
        from latentroom.engine.direction import Direction

        direction = Direction.load(direction_path)
        attribute = attribute or direction.attribute
        strength = strength if strength is not None else direction.strength_range[1]
        offset = torch.from_numpy(direction.offset(strength)).to(generator.device)
        if classifier is not None:
            if attribute not in attr_names:
                raise click.ClickException(f"attribute {attribute!r} is not one of {', '.join(attr_names)}")
            attr_index = attr_names.index(attribute)

    def edit_effect(ws: Any, noise: Any) -> float:
        with torch.no_grad():
            before = _classify(classifier, synthesize(generator, ws, noise))
            after = _classify(classifier, synthesize(generator, ws + offset, noise))
        return float(np.mean(after[:, attr_index] - before[:, attr_index]))

    gan_effect = None
    if offset is not None and attr_index is not None:
        z = torch.randn(n, generator.style_dim, generator=torch.Generator().manual_seed(seed))
        effects = []
        for chunk in z.split(batch_size):
            with torch.no_grad():
                ws = generator.mapping(chunk.to(generator.device)).unsqueeze(1).expand(-1, generator.n_latent, -1)
            effects.append(edit_effect(ws, None) * len(chunk))
        gan_effect = sum(effects) / n

    results: dict[str, Any] = {}
    for label in methods:
        name, options = METHODS[label]
        options = dict(options)
        if name in ("encoder", "hybrid") and encoder_weights:
            options["weights"] = encoder_weights
        if name == "projector" and projector_steps is not None:
            options["steps"] = projector_steps
        if name == "hybrid" and hybrid_steps is not None:
            options["steps"] = hybrid_steps
        if name == "hybrid":
            options.update(hybrid_options)
        if name in ("projector", "hybrid") and features is not None:
            options["features"] = features
        try:
            inverter = get_inverter(name).value(generator, device, **options)
        except Exception as exc:
            click.echo(f"{label}: skipped ({exc})", err=True)
            results[label] = {"skipped": str(exc)}
            continue
        if str(device).startswith("cuda"):
            # One untimed batch first: CUDA/cuDNN set-up and allocator growth are paid once
            # per process, not per image (300 projector steps hid them; a short hybrid did
            # not). On the CPU there is no such set-up, and a projector batch costs minutes.
            inverter.invert(inputs[:batch_size].to(device))
        psnrs, maes, effects, seconds = [], [], [], 0.0
        for start in range(0, n, batch_size):
            x = inputs[start : start + batch_size].to(device)
            _sync(device)
            t0 = time.perf_counter()
            ws = inverter.invert(x)
            _sync(device)
            seconds += time.perf_counter() - t0
            noise = getattr(inverter, "last_noise", None) if supports_noise(generator) else None
            with torch.no_grad():
                recon = synthesize(generator, ws, noise).float()
                target = resize(x, int(generator.size))
                psnrs.append(psnr(target, recon).cpu().numpy())
            if classifier is not None:
                diff = np.abs(_classify(classifier, recon) - _classify(classifier, x))
                maes.append(diff[:, cont_idx])
                if gan_effect is not None:
                    effects.append(edit_effect(ws, noise) * len(x))
            click.echo(f"{label}: {min(start + batch_size, n)}/{n}", err=True)
        all_psnr = np.concatenate(psnrs)
        record: dict[str, Any] = {
            "inverter": name, "options": options,
            "psnr_db": float(all_psnr.mean()), "psnr_std_db": float(all_psnr.std()),
            "seconds_per_image": seconds / n,
            "features": getattr(inverter, "features_used", None),
        }
        if maes:
            mae = np.concatenate(maes)
            record["attribute_mae"] = float(mae.mean())
            record["attribute_mae_per_attribute"] = {attr_names[i]: float(v) for i, v in zip(cont_idx, mae.mean(0))}
        if effects and gan_effect:
            inv_effect = sum(effects) / n
            record["edit_effect"] = inv_effect
            record["editability"] = inv_effect / gan_effect
        results[label] = record
        click.echo(f"{label}: {json.dumps({k: v for k, v in record.items() if k != 'options'})}", err=True)

    device_name = torch.cuda.get_device_name(0) if device.startswith("cuda") else f"cpu ({os.cpu_count()} cores)"
    return {"generator": generator_spec or "toyfaces", "weights_sha256": getattr(generator, "weights_sha256", None),
            "device": device, "device_name": device_name, "n": n, "seed": seed, "batch_size": batch_size,
            "direction": str(direction_path) if direction_path else None, "attribute": attribute,
            "strength": strength, "gan_edit_effect": gan_effect, "results": results}


def markdown(record: dict[str, Any], cpu: dict[str, Any] | None = None) -> str:
    head = ["method", "PSNR (dB)", "attribute MAE", "editability", f"s/image ({record['device_name']})"]
    if cpu:
        head.append(f"s/image ({cpu['device_name']})")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]

    def fmt(value: Any, pattern: str) -> str:
        return "n/a" if value is None else pattern.format(value)

    for label, r in record["results"].items():
        if "skipped" in r:
            continue
        row = [label, f"{r['psnr_db']:.2f} ± {r['psnr_std_db']:.2f}", fmt(r.get("attribute_mae"), "{:.3f}"),
               fmt(r.get("editability"), "{:.0%}"), f"{r['seconds_per_image']:.4f}"]
        if cpu:
            row.append(fmt(cpu["results"].get(label, {}).get("seconds_per_image"), "{:.3f}"))
        lines.append("| " + " | ".join(row) + " |")
    note = (f"\n{record['n']} held-out renders (renderer seed {record['seed']}), generator "
            f"`{record['generator']}` (weights {str(record['weights_sha256'])[:12]}), batch {record['batch_size']}; "
            f"editability: `{record['attribute']}` at strength {record['strength']}, GAN-sample effect "
            f"{fmt(record['gan_edit_effect'], '{:.3f}')}.")
    if cpu:
        note += f" CPU column: {cpu['n']} images."
    return "\n".join(lines) + "\n" + note + "\n"


@click.command()
@click.option("--generator", "generator_spec", default=None, metavar="SPEC", help="Default: toyfaces.")
@click.option("--direction", "direction_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="Direction file for the editability column.")
@click.option("--attribute", default=None, help="Attribute the direction targets (default: from the file).")
@click.option("--strength", type=float, default=None, help="Default: the top of the direction's range.")
@click.option("--n", type=int, default=256, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--seed", type=int, default=10_000, show_default=True, help="Renderer seed (held out).")
@click.option("--device", default="auto", show_default=True)
@click.option("--methods", default=",".join(METHODS), show_default=True)
@click.option("--encoder-weights", default=None, help="Encoder file (default: the generator's installed one).")
@click.option("--projector-steps", type=int, default=None, help="Default: the projector's 300.")
@click.option("--hybrid-steps", type=int, default=None, help="Default: hybrid's 30.")
@key_value_option("--hybrid-option", dest="hybrid_option",
                  help="Another hybrid option, e.g. lr=0.06 or noise_lr_mul=0.3; repeatable.")
@click.option("--features", default=None, help="Perceptual feature net for projector/hybrid (default: auto).")
@click.option("--classifier", "classifier_path", default=None,
              help="Classifier weights (default: shipped); 'none' skips attribute metrics.")
@click.option("--out-json", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--out-md", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--merge-cpu", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A CPU run's JSON: its s/image becomes an extra column of the markdown.")
def main(out_json: Path, out_md: Path | None, merge_cpu: Path | None, methods: str, hybrid_option: tuple[str, ...],
         **kwargs: Any) -> None:
    """Measure projector (W, W+), encoder and hybrid on held-out renders."""
    hybrid_options = parse_options(hybrid_option, "--hybrid-option")
    labels = [m.strip() for m in methods.split(",") if m.strip()]
    unknown = [m for m in labels if m not in METHODS]
    if unknown:
        raise click.ClickException(f"unknown method(s) {unknown}; choose from {', '.join(METHODS)}")
    record = measure(methods=labels, hybrid_options=hybrid_options, **kwargs)
    atomic_write_text(out_json, json.dumps(record, indent=2) + "\n")
    cpu = json.loads(merge_cpu.read_text()) if merge_cpu else None
    table = markdown(record, cpu)
    if out_md:
        atomic_write_text(out_md, table)
    click.echo(table)


if __name__ == "__main__":
    main()
