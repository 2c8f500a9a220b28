"""Generator quality report: a generator's samples against toyfaces renders.

Both sets go through the attribute classifier (generated images are quantised to
uint8 first, exactly as a saved image would be, so both take the same path):

* attributes: per attribute the mean and standard deviation of the predictions
  (binary ones: the rate of p > 0.5), with pass/fail against the targets: every
  continuous mean within 0.05 of the renders' (0-1 scale), every standard deviation
  within 20 % of theirs, every binary rate within 5 points;
* Fréchet distance between the classifier's penultimate features (192-d) of the
  generated set and of the renders, next to the same distance between two disjoint
  render sets of the same size: the floor that sampling noise alone gives at that N.

Renders use ``train_gan.render_dataset``, the scheme that drew the training set
(seed 0: chunk seeds 0-99), with seeds 777 (reference) and 778 (floor), whose chunk
seeds ``seed * 100003 + i`` cannot meet the training ones. Generated: ``z`` from
torch seed ``--seed``, truncation 1, random noise. The sample grid is 8x4 faces,
seed 0, stored noise: the first 32 images of ``latentroom generate -n 32 --seed 0``.

Outputs in ``--out-dir``: ``quality.json``, ``quality.md``, ``samples.png``; with
``--update-docs`` the markdown goes between the markers of docs/toyfaces.md's
"Generator quality" section and the grid to docs/images/toyfaces-samples.png.

Full report (CUDA)::

    python scripts/measure_toyfaces_quality.py --device auto --n 10000 --update-docs

Quick check on a CPU (minutes; small N is indicative only)::

    python scripts/measure_toyfaces_quality.py --device cpu --n 500
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import click
import numpy as np

from latentroom.engine.cli_options import device_option

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file from anywhere
    sys.path.insert(0, str(ROOT))

from latentroom.engine.atomic import atomic_write_bytes  # noqa: E402 (needs ROOT on sys.path)

DOC = ROOT / "docs" / "toyfaces.md"
DOC_IMAGE = ROOT / "docs" / "images" / "toyfaces-samples.png"
DOC_START = "<!-- generator-quality:start -->"
DOC_END = "<!-- generator-quality:end -->"
REFERENCE_SEED = 777
FLOOR_SEED = 778
MEAN_TOLERANCE = 0.05  # continuous: |mean difference| on the 0-1 scale
STD_TOLERANCE = 0.20  # continuous: |sd ratio - 1|
RATE_TOLERANCE = 0.05  # binary: |rate difference| (5 points)
FULL_N = 10_000  # below this the report says it is indicative only
GRID_COLUMNS, GRID_ROWS = 8, 4


# ---------------------------------------------------------------- statistics


def attribute_report(pred_gen: np.ndarray, pred_ref: np.ndarray) -> list[dict[str, Any]]:
    """Per attribute: renders' vs generated statistics and whether the target is met."""
    from latentroom.plugins.toyfaces.renderer import ATTRIBUTES

    rows = []
    for i, spec in enumerate(ATTRIBUTES):
        g, r = pred_gen[:, i], pred_ref[:, i]
        if spec.kind == "binary":
            rate_g, rate_r = float((g > 0.5).mean()), float((r > 0.5).mean())
            rows.append({"attribute": spec.name, "kind": "binary", "renders_rate": rate_r,
                         "generated_rate": rate_g, "rate_diff": rate_g - rate_r,
                         "passed": abs(rate_g - rate_r) <= RATE_TOLERANCE})
        else:
            mean_g, mean_r = float(g.mean()), float(r.mean())
            sd_g, sd_r = float(g.std()), float(r.std())
            ratio = sd_g / sd_r if sd_r > 0 else math.inf
            rows.append({"attribute": spec.name, "kind": "continuous", "renders_mean": mean_r,
                         "renders_sd": sd_r, "generated_mean": mean_g, "generated_sd": sd_g,
                         "mean_diff": mean_g - mean_r, "sd_ratio": ratio,
                         "passed": abs(mean_g - mean_r) <= MEAN_TOLERANCE and abs(ratio - 1) <= STD_TOLERANCE})
    return rows


# ---------------------------------------------------------------- sampling


def generate_and_classify(generator: Any, model: Any, n: int, seed: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Classify ``n`` samples (truncation 1, random noise) without keeping the images."""
    import torch

    # All z from one CPU stream up front: the same latents for any batch size or device.
    z_all = torch.randn(n, generator.style_dim, generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed)  # the per-pixel noise (device-dependent stream)
    preds, feats = [], []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            z = z_all[start : start + batch_size].to(generator.device)
            x = generator.synthesis(generator.mapping(z), noise_mode="random").float()
            # Quantise as a saved image would be, so generated and rendered images
            # reach the classifier through the same uint8 grid.
            x = ((x.clamp(-1, 1) + 1) * 127.5).round() / 127.5 - 1
            p, f = model.predict_with_features(x, batch_size)
            preds.append(p)
            feats.append(f)
    return np.concatenate(preds), np.concatenate(feats)


def sample_grid(generator: Any, thumb: int) -> np.ndarray:
    """8x4 faces, seed 0, stored noise, as uint8; each face resized to ``thumb`` px."""
    import torch
    from PIL import Image

    from latentroom.engine.image_output import images_to_grid

    n = GRID_COLUMNS * GRID_ROWS
    z = torch.randn(n, generator.style_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        images = generator.synthesis(generator.mapping(z.to(generator.device)), noise_mode="const")
    grid = images_to_grid(images, GRID_COLUMNS)
    if thumb != generator.size:
        size = (GRID_COLUMNS * thumb, GRID_ROWS * thumb)
        grid = np.asarray(Image.fromarray(grid).resize(size, Image.Resampling.LANCZOS))
    return grid


# ---------------------------------------------------------------- output


def provenance(generator: Any) -> dict[str, Any]:
    """The shipped weights' generator.json when the generator is that file, else {}."""
    from latentroom.plugins.toyfaces.generator import INFO_PATH, weights_info

    if not INFO_PATH.is_file():
        return {}
    info = weights_info()
    return info if info.get("sha256") == generator.weights_sha256 else {}


def report_markdown(result: dict[str, Any], image: str | None) -> str:
    n, info = result["n"], result["provenance"]
    what = f"`{result['generator']}`, weights sha256 `{(result['weights_sha256'] or '-')[:12]}`"
    if info:
        what += f" ({info.get('kimg', '?')} kimg, status: {info.get('status', '?')})"
    lines = [f"Generator: {what}. Measured {result['date']} on {result['device']}: N = {n:,} generated "
             f"(truncation 1, random noise, seed {result['seed']}) vs N rendered (seed {REFERENCE_SEED}); "
             f"floor: N renders of seed {FLOOR_SEED} vs the same reference."]
    if n < FULL_N or "interim" in str(info.get("status", "")):
        label = "interim snapshot" if "interim" in str(info.get("status", "")) else "small sample"
        lines.append(f"\n**{label}, N={n}, {result['device_kind']}: indicative only, not the final report** "
                     f"(the full report uses N = {FULL_N:,} and the final weights).")
    lines += ["", "| attribute | renders | generated | difference | target | met |", "| --- | --- | --- | --- | --- | --- |"]
    for row in result["attributes"]:
        met = "yes" if row["passed"] else "**no**"
        if row["kind"] == "binary":
            lines.append(f"| {row['attribute']} | rate {row['renders_rate']:.3f} | rate {row['generated_rate']:.3f} | "
                         f"{100 * row['rate_diff']:+.1f} points | ±{100 * RATE_TOLERANCE:.0f} points | {met} |")
        else:
            lines.append(f"| {row['attribute']} | {row['renders_mean']:.3f} ± {row['renders_sd']:.3f} | "
                         f"{row['generated_mean']:.3f} ± {row['generated_sd']:.3f} | mean {row['mean_diff']:+.3f}, "
                         f"sd x{row['sd_ratio']:.2f} | mean ±{MEAN_TOLERANCE}, sd ±{STD_TOLERANCE:.0%} | {met} |")
    passed = sum(r["passed"] for r in result["attributes"])
    fd = result["frechet"]
    lines += ["", f"Attributes meeting the target: {passed} of {len(result['attributes'])} (mean ± sd of the "
              "classifier's predictions; binary: rate of p > 0.5).", "",
              "| Fréchet distance (classifier features, 192-d) | value |", "| --- | --- |",
              f"| generated vs renders | {fd['generated']:.3f} |",
              f"| renders vs renders (floor at this N) | {fd['floor']:.3f} |",
              f"| ratio | {fd['ratio']:.1f}x |"]
    if image:
        lines += ["", f"![8x4 samples, seed 0]({image})"]
    return "\n".join(lines) + "\n"


def png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def replace_between_markers(doc: Path, body: str) -> None:
    text = doc.read_text()
    start, end = text.find(DOC_START), text.find(DOC_END)
    if start < 0 or end < start:
        raise click.ClickException(f"{doc}: no {DOC_START} ... {DOC_END} markers to write between")
    new = text[: start + len(DOC_START)] + "\n\n" + body + "\n" + text[end:]
    atomic_write_bytes(doc, new.encode())


# ---------------------------------------------------------------- command


@click.command()
@click.option("--generator", "spec", default="toyfaces", show_default=True, help="Generator spec NAME[:ARGUMENT].")
@click.option("--n", "n", type=click.IntRange(min=2), default=FULL_N, show_default=True,
              help="Images per set (generated, reference renders, floor renders).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generated set's latents.")
@device_option
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Default: 500 on CUDA, 32 on CPU.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Render processes (default: all cores).")
@click.option("--grid-px", type=click.IntRange(min=8), default=64, show_default=True,
              help="Pixels per face in the sample grid (smaller keeps the PNG small).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "out" / "toyfaces-quality",
              show_default=True)
@click.option("--update-docs", is_flag=True, help="Write the report into --doc and the grid to --doc-image.")
@click.option("--doc", type=click.Path(dir_okay=False, path_type=Path), default=DOC, show_default=True)
@click.option("--doc-image", type=click.Path(dir_okay=False, path_type=Path), default=DOC_IMAGE, show_default=True)
def main(spec: str, n: int, seed: int, device: str, batch_size: int | None, workers: int | None, grid_px: int,
         out_dir: Path, update_docs: bool, doc: Path, doc_image: Path) -> None:
    """Measure a generator's attribute statistics and Fréchet distance against renders."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def log(message: str) -> None:
        click.echo(f"[{time.perf_counter() - started:7.1f}s] {message}", err=True)

    def lap(name: str, since: float) -> float:
        timings[name] = round(time.perf_counter() - since, 2)
        return time.perf_counter()

    # Renders first: the pool forks before torch has started any threads.
    from latentroom.plugins.toyfaces.train_gan import render_dataset

    t = time.perf_counter()
    log(f"rendering 2 x {n} reference images (seeds {REFERENCE_SEED}, {FLOOR_SEED})")
    procs = workers or os.cpu_count() or 1
    reference = render_dataset(n, REFERENCE_SEED, 128, procs)
    floor = render_dataset(n, FLOOR_SEED, 128, procs)
    t = lap("render_s", t)

    import torch

    from latentroom.engine.devices import pick_torch_device
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.toyfaces import load_classifier
    from latentroom.plugins.toyfaces.truth import frechet_distance

    dev = pick_torch_device(device)
    batch = batch_size or (500 if dev == "cuda" else 32)
    generator = resolve_generator(spec, dev)
    model = load_classifier(dev)
    log(f"classifying renders on {dev}")
    pred_ref, feat_ref = model.predict_with_features(reference, batch)
    feat_floor = model.predict_features(floor, batch)
    del reference, floor
    t = lap("classify_renders_s", t)
    log(f"generating and classifying {n} samples")
    pred_gen, feat_gen = generate_and_classify(generator, model, n, seed, batch)
    t = lap("generate_and_classify_s", t)
    fd_gen, fd_floor = frechet_distance(feat_gen, feat_ref), frechet_distance(feat_floor, feat_ref)
    t = lap("frechet_s", t)

    device_name = torch.cuda.get_device_name(0) if dev == "cuda" else "CPU"
    result: dict[str, Any] = {
        "generator": spec, "weights_sha256": generator.weights_sha256, "provenance": provenance(generator),
        "n": n, "seed": seed, "reference_seed": REFERENCE_SEED, "floor_seed": FLOOR_SEED,
        "device": f"{dev} ({device_name})" if dev == "cuda" else "cpu", "device_kind": "GPU" if dev == "cuda" else "CPU",
        "torch": torch.__version__, "date": date.today().isoformat(),
        "targets": {"mean": MEAN_TOLERANCE, "sd_ratio": STD_TOLERANCE, "binary_rate": RATE_TOLERANCE},
        "attributes": attribute_report(pred_gen, pred_ref),
        "frechet": {"generated": fd_gen, "floor": fd_floor, "ratio": fd_gen / fd_floor if fd_floor > 0 else math.inf},
        "timings": timings,
    }
    result["passed"] = all(row["passed"] for row in result["attributes"])

    grid = png_bytes(sample_grid(generator, grid_px))
    atomic_write_bytes(out_dir / "samples.png", grid)
    atomic_write_bytes(out_dir / "quality.json", (json.dumps(result, indent=1) + "\n").encode())
    table = report_markdown(result, "samples.png")
    atomic_write_bytes(out_dir / "quality.md", table.encode())
    if update_docs:
        atomic_write_bytes(doc_image, grid)
        image_ref = os.path.relpath(doc_image, doc.parent)
        replace_between_markers(doc, report_markdown(result, image_ref))
        log(f"updated {doc} and {doc_image}")
    log(f"wrote {out_dir}/quality.json, quality.md, samples.png")
    click.echo(table)


if __name__ == "__main__":
    main()
