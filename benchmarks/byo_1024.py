"""Bring-your-own-generator pipeline at 1024² config-f: time and peak memory per stage.

    python3 benchmarks/byo_1024.py --out DIR                     # CUDA, 1024², < 8 min on one H200
    python3 benchmarks/byo_1024.py --size 64 --quick --out DIR   # CPU smoke test (the test runs this)

A community-format StyleGAN2 checkpoint (``save_checkpoint``: the rosinality key
layout, config-f: style_dim 512, 8 mapping layers, channel multiplier 2) with random
weights is written to a temporary folder and every authoring stage runs on it
through the public Python APIs, with no toyfaces part involved:

1. ``generate``: ``resolve_generator("stylegan2:FILE")`` and W+ synthesis (img/s);
2. ``train-encoder``: the ``encoder`` inverter's trainer, a few steps (img/s);
   perceptual term off (no feature network for these images ships);
3. ``invert-projector`` (W+, a few steps), ``invert-encoder`` (the weights just
   trained), ``invert-e4e``: a random Encoder4Editing of the released size (IR-SE50,
   18 rows) in an e4e-format file next to the generator (img/s each);
4. ``direction-find``: SeFa, the component most correlated with a brightness scorer
   (``brightness_scorer`` below) on a small sample bank;
5. ``edit``: the inverted codes moved along it and rendered (img/s);
6. ``author-train`` (pairs/s), ``author-export`` (ONNX export, parity, fp16
   variant) and ``author-quality`` (metrics on generator samples, preview, write):
   one ``author()`` call, split where it reports starting the export and the
   measurement;
7. ``apply``: the written bundle through ONNX Runtime on the CPU (img/s).

Peak memory is ``torch.cuda.max_memory_allocated`` over the stage (reset at its
start; ``null`` on the CPU). Random weights make images meaningless but costs real.

Writes ``byo_1024.json`` (every number, the machine, the command) and
``byo_1024.md`` (a table) to ``--out`` (default ``$OUT`` or the current folder).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
MODULE = Path(__file__).stem
FULL: dict[str, Any] = {
    "style_dim": 512, "n_mlp": 8, "channel_cap": None, "batch": 16, "generate_n": 64,
    "encoder_steps": 30, "encoder_batch": 8, "encoder_widths": None, "projector_steps": 20, "invert_n": 8,
    "e4e_units": (3, 4, 14, 3), "e4e_widths": (64, 128, 256, 512), "direction_samples": 256,
    "author_steps": 300, "author_batch": 16, "held_out": 32, "eval_images": 16, "variants": ("fp16",),
    "apply_n": 4,
}
QUICK: dict[str, Any] = {
    "style_dim": 64, "n_mlp": 2, "channel_cap": 32, "batch": 4, "generate_n": 8,
    "encoder_steps": 2, "encoder_batch": 2, "encoder_widths": (8, 8, 16, 16, 16), "projector_steps": 2,
    "invert_n": 2, "e4e_units": (1, 1, 1, 1), "e4e_widths": (16, 24, 32, 48), "direction_samples": 16,
    "author_steps": 3, "author_batch": 2, "held_out": 4, "eval_images": 4, "variants": (), "apply_n": 2,
}


class BrightnessScorer:
    """Mean pixel value: an attribute every generator's images have, with no model."""

    attributes = ("brightness",)

    def __init__(self) -> None:
        self.name = f"{MODULE}:brightness_scorer"

    def __call__(self, images: torch.Tensor) -> dict[str, np.ndarray]:
        return {"brightness": images.float().mean(dim=(1, 2, 3)).cpu().numpy()}

    def torch_scores(self, images: torch.Tensor) -> torch.Tensor:
        return images.float().mean(dim=(1, 2, 3)).unsqueeze(1)


def brightness_scorer(device: str = "cpu") -> BrightnessScorer:
    """``--scorer byo_1024:brightness_scorer`` (module:factory form)."""
    return BrightnessScorer()


# ---------------------------------------------------------------------- recording


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    peak_mib: float | None = None
    rate: float | None = None
    unit: str = ""
    note: str = ""


@dataclass
class Run:
    """What the stages share: settings, device, files and what earlier stages made."""

    args: argparse.Namespace
    cfg: dict[str, Any]
    device: str
    folder: Path
    stages: list[Stage] = field(default_factory=list)
    spec: str = ""
    generator: Any = None
    images: torch.Tensor | None = None
    codes: torch.Tensor | None = None
    direction_path: Path | None = None
    e4e_path: Path | None = None
    bundle: Path | None = None

    def sync(self) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()

    def peak_mib(self) -> float | None:
        return torch.cuda.max_memory_allocated() / 2**20 if self.device == "cuda" else None

    def reset_peak(self) -> None:
        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()

    @contextmanager
    def stage(self, name: str) -> Iterator[Stage]:
        row = Stage(name)
        log(f"[{name}] ...")
        self.sync()
        self.reset_peak()
        start = time.perf_counter()
        yield row
        self.sync()
        row.seconds = time.perf_counter() - start
        row.peak_mib = self.peak_mib()
        self.stages.append(row)
        log(f"[{name}] {row.seconds:.2f} s" + (f", {row.rate:.2f} {row.unit}" if row.rate else ""))


def log(message: str) -> None:
    print(message, flush=True)


# ------------------------------------------------------------------------- stages


def write_generator(run: Run) -> None:
    """The random config-f generator in the community layout, as a user's file."""
    from latentroom.plugins.stylegan2.checkpoint import save_checkpoint
    from latentroom.plugins.stylegan2.model import Generator

    with run.stage("write-checkpoint") as row:
        torch.manual_seed(0)
        g = Generator(run.args.size, run.cfg["style_dim"], run.cfg["n_mlp"], channel_multiplier=2,
                      channel_cap=run.cfg["channel_cap"])
        with torch.no_grad():
            for name, p in g.named_parameters():
                if name.endswith("noise.weight"):
                    p.fill_(0.1)  # so the noise path costs what it does in a trained model
        path = save_checkpoint(run.folder / "generator.pt", g)
        run.spec = f"stylegan2:{path}"
        row.note = f"{sum(p.numel() for p in g.parameters()) / 1e6:.1f} M parameters, n_latent {g.n_latent}"


def generate(run: Run) -> None:
    from latentroom.engine.plugins import resolve_generator

    with run.stage("generate") as row:
        run.generator = resolve_generator(run.spec, run.device)
        g, n, batch = run.generator, run.cfg["generate_n"], run.cfg["batch"]
        z = torch.randn(n, g.style_dim, generator=torch.Generator().manual_seed(1)).to(g.device)
        with torch.no_grad():
            t = time.perf_counter()
            images = [g.synthesis(g.mapping(z[i:i + batch])).float().clamp(-1, 1) for i in range(0, n, batch)]
            run.sync()
            row.rate, row.unit = n / (time.perf_counter() - t), "img/s"
        run.images = torch.cat(images)
        row.note = f"{n} images, batch {batch}, fp32 eager, including loading the checkpoint"


def train_encoder(run: Run) -> Path:
    from latentroom.plugins.inverters.train_encoder import train

    out = run.folder / "encoder"
    steps, batch = run.cfg["encoder_steps"], run.cfg["encoder_batch"]
    with run.stage("train-encoder") as row:
        record = train(run.spec, out, seconds=3600.0, max_steps=steps, batch_size=batch, feature_weight=0.0,
                       features="none", device=run.device, widths=run.cfg["encoder_widths"],
                       log_every=max(1, steps // 3), echo=lambda message: None)
        row.rate, row.unit = float(record["images_per_s"]), "img/s"
        row.note = (f"{steps} steps, batch {batch}, no perceptual term; rate: the trainer's own (training "
                    "steps only), seconds include W statistics and saving")
    return out / "encoder.pt"


def time_inverter(run: Run, stage: str, name: str, **options: Any) -> torch.Tensor:
    from latentroom.engine.plugins import get_inverter

    assert run.images is not None
    images = run.images[: run.cfg["invert_n"]]
    with run.stage(stage) as row:
        inverter = get_inverter(name).value(run.generator, run.device, **options)
        run.sync()
        t = time.perf_counter()
        codes = inverter.invert(images)
        run.sync()
        row.rate, row.unit = len(images) / (time.perf_counter() - t), "img/s"
        shown = {k: (Path(v).name if k == "weights" else v) for k, v in options.items()}
        row.note = f"{len(images)} images, {name} {shown}; rate excludes loading"
    return codes


def write_e4e_file(run: Run) -> Path:
    """A random Encoder4Editing of the configured size, saved as the e4e coach does,
    with this generator as its decoder."""
    from latentroom.plugins.inverters.style_encoders import Encoder4Editing

    g = run.generator
    torch.manual_seed(2)
    encoder = Encoder4Editing(g.n_latent, g.style_dim, units=run.cfg["e4e_units"], widths=run.cfg["e4e_widths"])
    state = {**{f"encoder.{k}": v for k, v in encoder.state_dict().items()},
             **{f"decoder.{k}": v.cpu() for k, v in g.state_dict().items()}}
    opts = {"encoder_type": "Encoder4Editing", "stylegan_size": g.size, "start_from_latent_avg": True}
    path = run.folder / "e4e.pt"
    torch.save({"state_dict": state, "opts": opts, "latent_avg": g.mean_latent().cpu().repeat(g.n_latent, 1)}, path)
    return path


def invert(run: Run) -> None:
    encoder_weights = train_encoder(run)
    time_inverter(run, "invert-projector", "projector", steps=run.cfg["projector_steps"], features="none")
    run.codes = time_inverter(run, "invert-encoder", "encoder", weights=str(encoder_weights))
    with run.stage("write-e4e-file") as row:
        run.e4e_path = write_e4e_file(run)
        row.note = f"{run.e4e_path.stat().st_size / 2**20:.0f} MiB"
    time_inverter(run, "invert-e4e", "e4e", weights=str(run.e4e_path))


def find_direction(run: Run) -> None:
    from latentroom.engine.plugins import get_direction_source

    with run.stage("direction-find") as row:
        direction = get_direction_source("sefa").value().find(
            run.generator, "brightness", scorer=BrightnessScorer(), samples=run.cfg["direction_samples"],
            batch_size=run.cfg["batch"], layers="all", generator_spec=run.spec)
        run.direction_path = direction.save(run.folder / "brightness.json")
        row.note = f"sefa, {run.cfg['direction_samples']} scored samples, layers all"


def edit(run: Run) -> None:
    from latentroom.engine.direction import Direction
    from latentroom.plugins.directions.edit import edit_latents

    assert run.codes is not None and run.direction_path is not None
    direction = Direction.load(run.direction_path)
    with run.stage("edit") as row:
        t = time.perf_counter()
        with torch.no_grad():
            moved = edit_latents(run.codes, direction, 2.0)
            run.generator.synthesis(moved)
        run.sync()
        row.rate, row.unit = len(moved) / (time.perf_counter() - t), "img/s"
        row.note = f"{len(moved)} inverted codes, strength 2, rendered"


def author_stages(run: Run) -> None:
    """One ``author()`` call, split at the messages that open its export and its
    measurement; peak memory is read and reset there too."""
    from latentroom.plugins.distill.author import AuthorOptions, author

    cfg = run.cfg
    opts = AuthorOptions(name="byo-brightness", direction=run.direction_path, output=run.folder / "preset",
                         generator=run.spec, steps=cfg["author_steps"], batch_size=cfg["author_batch"],
                         device=run.device, features="none", feature_weight=0.0, held_out_pairs=cfg["held_out"],
                         eval_images=cfg["eval_images"], eval_source="samples", eval_batch_size=cfg["batch"],
                         scorer=f"{MODULE}:brightness_scorer", inverter="e4e",
                         inverter_options={"weights": str(run.e4e_path)}, variants=tuple(cfg["variants"]),
                         log_every=max(1, cfg["author_steps"] // 3), save_every=10**9)
    marks: list[tuple[str, float, float | None]] = []
    starts = {"exporting": "author-export", "measuring": "author-quality"}

    def echo(message: str) -> None:
        log(f"  {message}")
        for word, stage in starts.items():
            if message.startswith(word) and all(m[0] != stage for m in marks):
                run.sync()
                marks.append((stage, time.perf_counter(), run.peak_mib()))
                run.reset_peak()

    run.reset_peak()
    start = time.perf_counter()
    run.bundle = author(opts, echo)
    run.sync()
    record_author(run, start, marks, opts)


def record_author(run: Run, start: float, marks: list[tuple[str, float, float | None]], opts: Any) -> None:
    end, final_peak = time.perf_counter(), run.peak_mib()
    names = ["author-train"] + [m[0] for m in marks]
    bounds = [start] + [m[1] for m in marks] + [end]
    peaks = [m[2] for m in marks] + [final_peak]
    for name, a, b, peak in zip(names, bounds, bounds[1:], peaks):
        run.stages.append(Stage(name, b - a, peak))
    notes = {"author-export": f"ONNX export, parity check, variants {list(opts.variants) or 'none'} timed on the CPU",
             "author-quality": f"metrics on {opts.eval_images} generator samples, generator path via e4e, "
                               "preview, bundle written"}
    for stage in run.stages[-len(names):]:
        stage.note = notes.get(stage.name, "")
    train = run.stages[-len(names)]
    train.rate, train.unit = opts.steps * opts.batch_size / train.seconds, "pairs/s"
    train.note = (f"{opts.steps} steps, batch {opts.batch_size}, no perceptual term; includes setup "
                  "and the teacher's first compile")
    if len(names) == 1:
        train.note += "; export and quality not split out (their messages changed)"


def apply_preset(run: Run) -> None:
    from latentroom.engine.presets.preset import load_preset

    assert run.bundle is not None and run.images is not None
    n = run.cfg["apply_n"]
    pictures = [((img.permute(1, 2, 0).cpu().numpy() + 1) * 127.5).round().astype(np.uint8) for img in run.images[:n]]
    with run.stage("apply") as row:
        preset = load_preset(run.bundle, provider="cpu")
        t = time.perf_counter()
        for picture in pictures:
            preset.apply(picture)
        row.rate, row.unit = n / (time.perf_counter() - t), "img/s"
        row.note = f"{n} images at {run.args.size}², one at a time, {preset.provider}; rate excludes loading"


# -------------------------------------------------------------------------- output


def machine(device: str) -> dict[str, Any]:
    info = {"python": platform.python_version(), "torch": torch.__version__, "cpu": platform.processor(),
            "cpus": os.cpu_count(), "device": device}
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name()
    return info


def markdown(run: Run, total: float) -> str:
    lines = [f"# bring-your-own generator at {run.args.size}² ({'quick' if run.args.quick else 'config-f'})", "",
             f"`{' '.join(sys.argv)}`, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
             f"{machine(run.device).get('gpu', platform.processor() or 'CPU')}; total {total:.0f} s", "",
             "| stage | seconds | peak CUDA MiB | rate | notes |", "| --- | ---: | ---: | ---: | --- |"]
    for s in run.stages:
        peak = "-" if s.peak_mib is None else f"{s.peak_mib:,.0f}"
        rate = f"{s.rate:,.2f} {s.unit}" if s.rate else ""
        lines.append(f"| {s.name} | {s.seconds:.2f} | {peak} | {rate} | {s.note} |")
    return "\n".join(lines) + "\n"


def write_results(run: Run, total: float) -> None:
    out = Path(run.args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = {"command": " ".join(sys.argv), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "size": run.args.size, "quick": run.args.quick, "config": {k: list(v) if isinstance(v, tuple) else v
                                                                      for k, v in run.cfg.items()},
            "machine": machine(run.device), "total_seconds": total, "stages": [vars(s) for s in run.stages]}
    (out / "byo_1024.json").write_text(json.dumps(data, indent=2) + "\n")
    (out / "byo_1024.md").write_text(markdown(run, total))


PIPELINE: tuple[Callable[[Run], None], ...] = (write_generator, generate, invert, find_direction, edit,
                                                author_stages, apply_preset)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1024, help="generator resolution (config-f widths)")
    ap.add_argument("--quick", action="store_true", help="CPU smoke test: narrow generator, a few steps per stage")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ap.add_argument("--author-steps", type=int, default=None,
                    help=f"student training steps (default {FULL['author_steps']}, quick {QUICK['author_steps']})")
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    added = str(HERE) not in sys.path
    if added:  # author resolves the scorer as byo_1024:brightness_scorer
        sys.path.insert(0, str(HERE))
    try:
        return run_pipeline(args)
    finally:
        if added:
            sys.path.remove(str(HERE))


def run_pipeline(args: argparse.Namespace) -> Path:
    device = "cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="byo-") as tmp:
        cfg = dict(QUICK if args.quick else FULL)
        if args.author_steps is not None:
            cfg["author_steps"] = args.author_steps
        run = Run(args, cfg, device, Path(tmp))
        for stage in PIPELINE:
            stage(run)
        total = time.perf_counter() - start
        write_results(run, total)
    log(markdown(run, total))
    return Path(args.out) / "byo_1024.json"


if __name__ == "__main__":
    main()
