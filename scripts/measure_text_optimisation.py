"""Text latent optimisation (``latentroom text-edit``) against the text direction source.

    python scripts/measure_text_optimisation.py [--device cpu|cuda] [--samples 8] [--steps 25]
        [--lr 0.01] [--l2 0.008] [--max-distance 4] [--relevance-samples 4]
        [--features toyfaces-classifier --feature-weight 1] [--texts smile,age]
        [--out docs/measurements/text-optimisation-cpu.json]

Generated faces (the seed of scripts/measure_text_directions.py, so its first faces)
are edited toward each text three ways, every face at the same W+ distance:

* **optimised**: StyleCLIP's latent optimisation from the face's own latent
  (:func:`~latentroom.plugins.textimage.latent_optimisation.optimise_latents`), all
  layers, toyfaces-clip, neutral text "a face" (``--features``: with a
  feature-preservation term through that registered feature network);
* **global**: the ``text`` source's direction for the same text (StyleCLIP global
  directions; relevance cached next to the text-directions record), each face moved
  by the distance its optimisation moved;
* **shipped**: the shipped classifier-based direction for the target
  (plugins/directions/shipped/NAME.json), the same distances.

The independent judge scores the faces before and after: the target's mean change,
the mean |change| of the other attributes (leakage); the text score
(image embedding on the text direction) says what toyfaces-clip sees. Times per
image are the optimisation's wall time over the faces (optimised as one batch).
The record is rewritten after every text, so a stopped run keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from latentroom.engine.atomic import atomic_write_text
from latentroom.engine.devices import pick_torch_device
from latentroom.engine.direction import Direction
from latentroom.plugins.directions.edit import edit_latents, to_wplus
from latentroom.plugins.directions.sampling import sample_w
from latentroom.plugins.inverters.features import load_feature_net
from latentroom.plugins.textimage.global_directions import TextDirections
from latentroom.plugins.textimage.latent_optimisation import (TextEditSettings, optimise_latents, text_direction,
                                                              text_score)
from latentroom.plugins.textimage.toyclip import load as load_clip
from latentroom.plugins.toyfaces import classifier as classifiers
from latentroom.plugins.toyfaces.generator import load_toyfaces
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "plugins" / "directions" / "shipped"
RELEVANCE_CACHE = ROOT / "docs" / "measurements" / "text-directions-cpu.relevance.npz"
TEXTS = [("smile", "a smiling face"), ("age", "an old face"), ("hair_length", "a face with long hair"),
         ("glasses", "a face wearing glasses"), ("beard", "a face with a beard"),
         ("age+smile", "an old smiling face")]
SEED = 777  # scripts/measure_text_directions.py's faces


class Judged:
    """Renders W+ latents and reads them with the judge and the text-image model."""

    def __init__(self, generator, judge, clip, batch: int) -> None:
        self.generator, self.judge, self.clip, self.batch = generator, judge, clip, batch

    @torch.no_grad()
    def read(self, ws: torch.Tensor, direction: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """(judge readings [N, A], text scores [N])."""
        judged, scores = [], []
        for i in range(0, len(ws), self.batch):
            images = self.generator.synthesis(ws[i:i + self.batch].to(self.generator.device)).float().clamp(-1, 1)
            judged.append(self.judge.predict(images, self.batch))
            scores.append(text_score(self.clip, images, direction).double().cpu().numpy())
        return np.concatenate(judged), np.concatenate(scores)


def summary(before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray],
            targets: tuple[str, ...], distance: np.ndarray) -> dict:
    change = (after[0] - before[0]).mean(0)
    others = [i for i, a in enumerate(ATTRIBUTE_NAMES) if a not in targets]
    return {"latent_distance": float(distance.mean()),
            "judge_change": {a: float(change[i]) for i, a in enumerate(ATTRIBUTE_NAMES)},
            "judge_target_change": {t: float(change[ATTRIBUTE_NAMES.index(t)]) for t in targets},
            "judge_leakage": float(np.abs(change[others]).mean()),
            "text_score_change": float((after[1] - before[1]).mean())}


def along(direction: Direction, ws: torch.Tensor, distance: np.ndarray) -> torch.Tensor:
    """``ws`` moved along ``direction``, face ``i`` by W+ distance ``distance[i]``."""
    unit = float(np.linalg.norm(direction.offset(1.0)))
    return edit_latents(ws, direction, torch.from_numpy(distance / unit).float())


def measure_text(args, generator, clip, features, judged: Judged, ws: torch.Tensor, base_judge: np.ndarray,
                 attribute: str, text: str) -> dict:
    targets = tuple(attribute.split("+"))
    settings = TextEditSettings(text=text, steps=args.steps, learning_rate=args.lr, l2=args.l2,
                                max_distance=args.max_distance,
                                feature_weight=args.feature_weight if features is not None else 0.0)
    direction = text_direction(clip, settings)
    before = (base_judge, judged.read(ws, direction)[1])
    result = optimise_latents(generator, clip, ws, settings, features=features)
    found = TextDirections(relevance_samples=args.relevance_samples, relevance_cache=str(RELEVANCE_CACHE)).find(
        generator, attribute, text=text, generator_spec="toyfaces")
    shipped = Direction.load(SHIPPED / f"{targets[0]}.json")
    entry = {"text": text, "seconds_per_image": result.seconds / len(ws),
             "text_score": {"before": float(result.score_before.mean()), "after": float(result.score_after.mean())},
             "optimised": summary(before, judged.read(result.ws.cpu(), direction), targets, result.distance),
             "global": summary(before, judged.read(along(found, ws, result.distance), direction), targets,
                               result.distance),
             "shipped": {"file": f"plugins/directions/shipped/{targets[0]}.json",
                         "source": shipped.provenance.source,
                         **summary(before, judged.read(along(shipped, ws, result.distance), direction), targets,
                                   result.distance)},
             "global_details": {k: found.provenance.details[k] for k in ("channels_kept", "style_fit")}}
    for t in targets:
        entry[f"ratio_optimised_to_global_{t}"] = (entry["optimised"]["judge_target_change"][t]
                                                   / entry["global"]["judge_target_change"][t])
    return entry


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--l2", type=float, default=0.008)
    ap.add_argument("--max-distance", type=float, default=4.0)
    ap.add_argument("--relevance-samples", type=int, default=4)
    ap.add_argument("--features", default="none", help="feature network of the preservation term")
    ap.add_argument("--feature-weight", type=float, default=1.0)
    ap.add_argument("--texts", default=None, help="comma-separated targets to measure (default: all)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "measurements" / "text-optimisation-cpu.json")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    device = pick_torch_device(args.device)
    generator, clip = load_toyfaces(None, device), load_clip(None, device)
    features = load_feature_net(args.features, device, generator)
    judged = Judged(generator, classifiers.load(device, arch="judge"), clip, args.batch_size)
    ws = to_wplus(sample_w(generator, args.samples, SEED), generator.n_latent)
    base_judge, _ = judged.read(ws, torch.zeros(clip.embed_dim, device=device))
    report = {"command": "python scripts/measure_text_optimisation.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "device": str(device), "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
              "date": time.strftime("%Y-%m-%d", time.gmtime()), "samples": args.samples, "steps": args.steps,
              "lr": args.lr, "l2": args.l2, "max_distance": args.max_distance, "features": args.features,
              "feature_weight": args.feature_weight if features is not None else 0.0,
              "relevance_samples": args.relevance_samples, "results": {}}
    chosen = args.texts.split(",") if args.texts else [attribute for attribute, _ in TEXTS]
    for attribute, text in [(a, t) for a, t in TEXTS if a in chosen]:
        entry = measure_text(args, generator, clip, features, judged, ws, base_judge, attribute, text)
        report["results"][attribute] = entry
        print(attribute, json.dumps({k: round(v, 3) for k, v in entry.items() if k.startswith("ratio")}),
              "target opt/global/shipped", entry["optimised"]["judge_target_change"],
              entry["global"]["judge_target_change"], entry["shipped"]["judge_target_change"],
              f"{entry['seconds_per_image']:.1f}s/image", flush=True)
        atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
