"""Text directions (source ``text``) against the shipped classifier-based directions.

    python scripts/measure_text_directions.py [--device cpu|cuda] [--samples 96]
        [--relevance-samples 4] [--beta 0.15] [--out docs/measurements/text-directions-cpu.json]

For each of the five bundled attributes, a text direction (toyfaces-clip, neutral
text "a face") and the shipped direction (plugins/directions/shipped/NAME.json) edit
the same ``--samples`` generated faces at equal latent distance: the W+ offset of the
shipped direction at strength ``--strength`` and a text offset of the same norm. The
independent judge scores the faces before and after: target change, the mean
|change| of the other attributes (leakage), and the text/shipped ratio of the target
changes. The renderer's truth: the Fréchet distance (classifier features) of each
edited population from renders truly edited by the same mean amount, as the classifier
reads it (``plugins.toyfaces.truth``), over the generator's own distance. A composed text
("an old smiling face") is measured on both its attributes. ``--shipped-layers``
finds each text on the layers of its attribute's shipped direction instead of all. Preprocessing and
per-text times are recorded; the relevance cache lands next to ``--out``.

``--kinds scorer`` (or ``global,scorer``) measures the other way to turn a text into a
direction: the ``text`` scorer (``plugins/textimage/text_scorer.py``) labels
``--find-samples`` generated faces with toyfaces-clip's reading of each text, and the
classifier-based source ``--find-source`` (linear-boundary) finds the direction from
those labels, once plainly and once conditioned on the other four texts (their
boundaries projected out, so only texts are used). The same faces are also labelled by the toyfaces classifier in the same
pass, and the same source finds a classifier direction from them, so the table
separates what the text costs from what the smaller sample count costs. The composed
edit is measured as one text ("an old smiling face") and as a sum of two texts'
scores ("an old face + a smiling face"). A source that scores its own edits
(``--find-source optimized``) takes the ``text`` scorer itself instead of a labelled
bank: its other columns are the other attributes' texts, the ones it keeps still, and
the sum row's two texts are two columns, each of which it raises (``age+smile``).
``--find-param KEY=VALUE`` passes the source's parameters (e.g. the shipped smile's
``batch_size=128 others_weight=0.5``, or the shipped glasses' ``layers=coarse``);
``--keep-unnamed`` adds texts for the five attributes no row names to the ones
``optimized`` keeps still, ``--opposites`` scores every attribute's text against its
opposite instead of "a face" (``OPPOSITES``), ``--keep-by-classifier`` lets the text name only
the edit and joins the toyfaces classifier to read (and keep still) every other attribute
(``--scorer TEXT --scorer toyfaces-classifier``), ``--skip-control`` leaves out the classifier rows, and
``--save-directions DIR`` keeps every found direction for a later look.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from latentroom.engine.atomic import atomic_write_text
from latentroom.engine.cli_options import parse_options
from latentroom.engine.devices import pick_torch_device
from latentroom.engine.direction import Direction
from latentroom.engine.errors import LatentroomError
from latentroom.plugins.directions.edit import edit_latents, to_wplus
from latentroom.engine.plugins import get_direction_source
from latentroom.plugins.directions.sampling import draw_bank, sample_w
from latentroom.plugins.directions.scoring import resolve_scorer, score_images, scorer_name
from latentroom.plugins.textimage.global_directions import TextDirections, load_or_compute
from latentroom.plugins.textimage.toyclip import load as load_clip
from latentroom.plugins.toyfaces import classifier as classifiers
from latentroom.plugins.toyfaces.generator import load_toyfaces
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, render, sample_params
from latentroom.plugins.toyfaces.truth import classifier_matched_truth, frechet_distance

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "plugins" / "directions" / "shipped"
TEXTS = {"smile": "a smiling face", "age": "an old face", "hair_length": "a face with long hair",
         "glasses": "a face wearing glasses", "beard": "a face with a beard"}
COMPOSED = ("an old smiling face", ("age", "smile"))
SUMMED = "an old face + a smiling face"
SCORER_TEXTS = {**TEXTS, "age+smile": COMPOSED[0], "age+smile (sum)": SUMMED}
# The attributes no row edits, as texts: what --keep-unnamed also keeps still.
UNNAMED_TEXTS = {"eye_size": "a face with big eyes", "skin_tone": "a face with dark skin",
                 "pose": "a face facing the camera", "face_width": "a face with a wide face",
                 "hair_color": "a face with blond hair"}
# --opposites: each attribute's text scored against its opposite (the scorer's FROM -> TO)
# instead of "a face".
OPPOSITES = {"smile": "a face with a neutral expression", "age": "a young face",
             "hair_length": "a face with short hair", "glasses": "a face without glasses",
             "beard": "a clean-shaven face", "eye_size": "a face with small eyes",
             "skin_tone": "a face with light skin", "pose": "a face turned to the left",
             "face_width": "a face with a narrow face", "hair_color": "a face with black hair",
             "age+smile": "a young face with a neutral expression"}
SEED = 777


def offset_norm(direction: Direction, strength: float) -> float:
    return float(np.linalg.norm(direction.offset(strength)))


class Bench:
    """The faces, their judge and classifier readings, and the renders for the truth."""

    def __init__(self, generator, judge, classifier, samples: int, batch: int) -> None:
        self.generator, self.judge, self.classifier, self.batch = generator, judge, classifier, batch
        self.ws = to_wplus(sample_w(generator, samples, SEED), generator.n_latent)
        self.params = sample_params(SEED, samples)
        self.base_judge, self.base_pred, base_feat = self.read(None, 0.0)
        self.render_pred, render_feat = classifier.predict_with_features(render(self.params), batch)
        self.fd_generator = frechet_distance(base_feat, render_feat)

    @torch.no_grad()
    def read(self, direction: Direction | None, strength: float):
        judged, preds, feats = [], [], []
        for i in range(0, len(self.ws), self.batch):
            chunk = self.ws[i:i + self.batch]
            if direction is not None:
                chunk = edit_latents(chunk, direction, strength)
            images = self.generator.synthesis(chunk.to(self.generator.device)).float().clamp(-1, 1)
            judged.append(self.judge.predict(images, self.batch))
            p, f = self.classifier.predict_with_features(images, self.batch)
            preds.append(p)
            feats.append(f)
        return np.concatenate(judged), np.concatenate(preds), np.concatenate(feats)

    def measure(self, direction: Direction, strength: float, targets: tuple[str, ...]) -> dict:
        judged, pred, feat = self.read(direction, strength)
        change = (judged - self.base_judge).mean(0)
        others = [i for i, a in enumerate(ATTRIBUTE_NAMES) if a not in targets]
        row = {"strength": strength, "latent_distance": offset_norm(direction, strength),
               "judge_change": {a: float(change[i]) for i, a in enumerate(ATTRIBUTE_NAMES)},
               "judge_leakage": float(np.abs(change[others]).mean())}
        if len(targets) == 1:
            t = ATTRIBUTE_NAMES.index(targets[0])
            delta = float((pred[:, t] - self.base_pred[:, t]).mean())
            truth, _ = classifier_matched_truth(self.params, targets[0], delta, self.classifier, self.render_pred,
                                                SEED, self.batch)
            _, truth_feat = self.classifier.predict_with_features(truth, self.batch)
            row["truth_fd_ratio"] = frechet_distance(feat, truth_feat) / self.fd_generator
        return row


def compare(bench: Bench, found: Direction, targets: tuple[str, ...], strength: float,
            shipped_rows: dict | None = None) -> dict:
    """``found`` and the shipped direction for the first target, on the same faces at the
    shipped direction's W+ distance at ``strength``, with the target ratios; the shipped
    direction's row is taken from ``shipped_rows`` (by targets) when it was measured."""
    shipped = Direction.load(SHIPPED / f"{targets[0]}.json")
    found_strength = offset_norm(shipped, strength) / offset_norm(found, 1.0)
    known = {} if shipped_rows is None else shipped_rows
    if targets not in known:
        known[targets] = {"file": f"plugins/directions/shipped/{targets[0]}.json",
                          "source": shipped.provenance.source, **bench.measure(shipped, strength, targets)}
    entry = {"details": found.provenance.details, "text_direction": bench.measure(found, found_strength, targets),
             "shipped": known[targets]}
    # A composed row is compared with its first target's shipped direction only: that
    # direction's change of the second target is a leak, not a reference to divide by.
    first, *rest = targets
    entry[f"target_ratio_{first}"] = entry["text_direction"]["judge_change"][first] / entry["shipped"]["judge_change"][first]
    for t in rest:
        entry[f"target_change_{t}"] = entry["text_direction"]["judge_change"][t]
    return entry


def report_line(name: str, entry: dict, seconds: float) -> None:
    print(name, json.dumps({k: round(v, 3) for k, v in entry.items() if k.startswith(("target_ratio", "target_change"))}),
          "leak", round(entry["text_direction"]["judge_leakage"], 4),
          "shipped", round(entry["shipped"]["judge_leakage"], 4), f"{seconds:.2f}s", flush=True)


def shipped_layers(targets: list[str]) -> str:
    """The W+ layers the shipped directions of ``targets`` act on, all of them together."""
    layers = sorted({i for t in targets for i in Direction.load(SHIPPED / f"{t}.json").layers})
    return ",".join(map(str, layers))


def global_direction_rows(generator, bench: Bench, args, device) -> tuple[dict, dict]:
    """The ``text`` source (global directions) for each text: (rows, relevance facts)."""
    clip = load_clip(None, device)
    cache = args.out.with_suffix(".relevance.npz")
    relevance, _, cached = load_or_compute(generator, clip, args.relevance_samples, 0, 1.0, cache,
                                            log=lambda message: print(message, flush=True))
    print(f"relevance: {relevance.seconds:.0f}s ({'cached' if cached else 'computed'})", flush=True)
    source = TextDirections(relevance_samples=args.relevance_samples, relevance_cache=str(cache), beta=args.beta)
    results = {}
    for attribute, text in [*TEXTS.items(), (f"{COMPOSED[1][0]}+{COMPOSED[1][1]}", COMPOSED[0])]:
        layers = shipped_layers(attribute.split("+")) if args.shipped_layers else "all"
        started = time.time()
        try:
            found = source.find(generator, attribute, text=text, generator_spec="toyfaces", layers=layers)
        except LatentroomError as exc:  # e.g. no channel of the layers reaches beta: a row, not the end
            results[attribute] = {"text": text, "layers": layers, "error": str(exc)}
            print(attribute, "error:", exc, flush=True)
            continue
        seconds = time.time() - started
        results[attribute] = {"text": text, "text_seconds": seconds,
                              **compare(bench, found, tuple(attribute.split("+")), args.strength)}
        report_line(attribute, results[attribute], seconds)
    return results, {"relevance_samples": args.relevance_samples, "relevance_seconds": relevance.seconds,
                     "beta": args.beta}


class TextAndClassifier:
    """One render pass, two labels: the ``text`` scorer's columns (``text:NAME``) and the
    toyfaces classifier's, so both directions come from the same faces."""

    def __init__(self, text_scorer, classifier_scorer) -> None:
        self.text, self.classifier = text_scorer, classifier_scorer
        self.binary = getattr(classifier_scorer, "binary", ())
        self.name = f"{scorer_name(text_scorer)} + {scorer_name(classifier_scorer)}"

    def __call__(self, images):
        texts = score_images(self.text, images)
        return {**{f"text:{k}": v for k, v in texts.items()}, **score_images(self.classifier, images)}


def found_row(find: Callable[[], Direction], bench: Bench, targets: tuple[str, ...], strength: float,
              shipped_rows: dict, label: str, save_dir: Path | None) -> dict:
    """Find a direction (timed), compare it with the shipped one and print the row; the
    direction is written to ``save_dir`` (when given) as ``LABEL.json``."""
    started = time.time()
    found = find()
    row = {"find_seconds": time.time() - started, **compare(bench, found, targets, strength, shipped_rows)}
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        row["direction_file"] = str(found.save(save_dir / (re.sub(r"[^\w+-]+", "_", label).strip("_") + ".json")))
    report_line(label, row, row["find_seconds"])
    return row


def scored_texts(texts: dict[str, str], opposites: bool) -> dict[str, str]:
    """``texts`` as the ``text`` scorer reads them: with ``opposites``, each row that has
    one in ``OPPOSITES`` scored against it (``FROM -> TO``), a sum row (``A + B``) part by
    part against its attributes' opposites."""
    if not opposites:
        return texts
    scored = {}
    for name, text in texts.items():
        row = name.split(" ")[0]
        if " + " in text:
            text = " + ".join(f"{OPPOSITES[a]} -> {part}" for a, part in zip(row.split("+"), text.split(" + ")))
        elif row in OPPOSITES:
            text = f"{OPPOSITES[row]} -> {text}"
        scored[name] = text
    return scored


def selected(texts: dict[str, str], only: str | None) -> dict[str, str]:
    """The rows ``--only`` names (comma-separated), all without it."""
    if only is None:
        return texts
    names = [name.strip() for name in only.split(",")]
    unknown = [name for name in names if name not in texts]
    if unknown:
        raise SystemExit(f"--only: unknown row(s) {', '.join(unknown)}; rows: {', '.join(texts)}")
    return {name: texts[name] for name in names}


def scorer_direction_rows(generator, bench: Bench, args, device, results: dict, save: Callable[[], None]) -> dict:
    """Directions found by ``--find-source`` from the ``text`` scorer, and from the
    toyfaces classifier as a control, into ``results`` (``save`` after each text, so a
    run stopped by a device call's limit keeps its rows); returns the run's facts."""
    source = get_direction_source(args.find_source).value()
    find_params = parse_options(args.find_param, "--find-param")
    facts = {"find_source": args.find_source, "find_params": find_params, "find_samples": args.find_samples}
    rows = labelled_bank_rows if source.supports_conditioning else scored_edit_rows
    return {**facts, **rows(generator, bench, args, device, source, find_params, results, save)}


def labelled_bank_rows(generator, bench: Bench, args, device, source, find_params: dict, results: dict,
                       save: Callable[[], None]) -> dict:
    """A sampling source (linear-boundary...): one bank of faces labelled by the text
    scorer and the classifier in one pass; each text found plainly and with the other
    texts' boundaries projected out, and the classifier's label as the control."""
    spec = "text:" + ";".join(f"{name}={text}" for name, text in scored_texts(SCORER_TEXTS, args.opposites).items())
    scorer = TextAndClassifier(resolve_scorer(spec, str(device), generator, "toyfaces"),
                               resolve_scorer("toyfaces-classifier", str(device), generator, "toyfaces"))
    started = time.time()
    bank = draw_bank(generator, scorer, args.find_samples, 0, 1.0, args.batch_size)
    bank_seconds = time.time() - started
    print(f"bank: {args.find_samples} faces labelled in {bank_seconds:.0f}s", flush=True)
    shipped_rows: dict = {}
    for name, text in selected(SCORER_TEXTS, args.only).items():
        targets = tuple(name.split(" ")[0].split("+"))
        rows = results[name] = {"text": text}
        # Text only, the other attributes kept by their texts' boundaries (InterFaceGAN's
        # conditioning), as a user without any classifier could.
        other_texts = [f"text:{other}" for other in TEXTS if other not in targets]
        labels = [("text_scorer", f"text:{name}", []), ("text_scorer_keep_other_texts", f"text:{name}", other_texts)]
        labels += [("classifier", targets[0], [])] if len(targets) == 1 else []
        for kind, column, kept in labels:
            rows[kind] = found_row(lambda: source.find(generator, column, bank=bank, generator_spec="toyfaces",
                                                       condition_on=kept, **find_params),
                                   bench, targets, args.strength, shipped_rows, f"{name} ({kind})",
                                   args.save_directions)
            save()
    return {"bank_seconds": bank_seconds, "scorer": spec}


def scored_edit_rows(generator, bench: Bench, args, device, source, find_params: dict, results: dict,
                     save: Callable[[], None]) -> dict:
    """A source that scores its own edits (optimized): each text gets a ``text`` scorer
    whose other columns are the other attributes' texts, which the source keeps still,
    so a composed text's own parts are left out of them (``--keep-unnamed``: and the texts
    of the attributes no row names); the classifier is the control (not with
    ``--skip-control``)."""
    classifier = None if args.skip_control else resolve_scorer("toyfaces-classifier", str(device), generator,
                                                               "toyfaces")
    kept = {} if args.keep_by_classifier else scored_texts({**TEXTS, **(UNNAMED_TEXTS if args.keep_unnamed else {})},
                                                           args.opposites)
    # With --keep-by-classifier the text names the edit and the classifier, joined after
    # it, reads every other attribute (the joined scorer's first reader wins).
    text_kind, keepers = (("text_kept_by_classifier", ["toyfaces-classifier"]) if args.keep_by_classifier
                          else ("text_scorer", []))
    shipped_rows: dict = {}
    for name, text in selected(scored_texts(SCORER_TEXTS, args.opposites), args.only).items():
        targets = tuple(name.split(" ")[0].split("+"))
        column = name.split(" ")[0]
        others = {other: other_text for other, other_text in kept.items() if other not in targets}
        # A sum row's texts as separate columns: the source raises each of them.
        edited = dict(zip(targets, text.split(" + "))) if " + " in text else {column: text}
        spec = "text:" + ";".join(f"{n}={t}" for n, t in {**edited, **others}.items())
        scorer_spec = [spec, *keepers] if keepers else spec
        rows = results[name] = {"text": text, "scorer": scorer_spec}
        scorers = [(text_kind, column, resolve_scorer(scorer_spec, str(device), generator, "toyfaces"))]
        scorers += [("classifier", targets[0], classifier)] if len(targets) == 1 and classifier is not None else []
        for kind, attribute, scorer in scorers:
            rows[kind] = found_row(lambda: source.find(generator, attribute, scorer=scorer, samples=args.find_samples,
                                                       generator_spec="toyfaces", **find_params),
                                   bench, targets, args.strength, shipped_rows, f"{name} ({kind})",
                                   args.save_directions)
            save()
    return {}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    ap.add_argument("--samples", type=int, default=96)
    ap.add_argument("--relevance-samples", type=int, default=4)
    ap.add_argument("--beta", type=float, default=0.15)
    ap.add_argument("--strength", type=float, default=2.0, help="shipped direction's strength")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--shipped-layers", action="store_true", help="global: each text on the layers its "
                    "attribute's shipped direction acts on (a composed text: on both's)")
    ap.add_argument("--kinds", default="global", help="global (the text source), scorer (text-scored "
                    "classifier-based source), or both: global,scorer")
    ap.add_argument("--find-source", default="linear-boundary", help="source the text scorer's labels feed")
    ap.add_argument("--find-param", action="append", default=[], metavar="KEY=VALUE",
                    help="a parameter of --find-source (repeatable), e.g. others_weight=0.5")
    ap.add_argument("--only", default=None, help="--kinds scorer: only these rows (comma-separated, "
                    "e.g. smile,age+smile), so several processes can share the texts")
    ap.add_argument("--keep-unnamed", action="store_true", help="--find-source optimized: also keep still "
                    "texts for the attributes no row names (eyes, skin, pose, width, hair colour)")
    ap.add_argument("--opposites", action="store_true", help="--kinds scorer: score each attribute's text "
                    "against its opposite (e.g. 'a clean-shaven face -> a face with a beard'), not 'a face'")
    ap.add_argument("--keep-by-classifier", action="store_true", help="--find-source optimized: the text scorer "
                    "reads only the edited attribute, joined with the toyfaces classifier, which reads the others")
    ap.add_argument("--skip-control", action="store_true", help="--find-source optimized: no classifier row")
    ap.add_argument("--save-directions", type=Path, default=None, metavar="DIR",
                    help="--kinds scorer: write each found direction to DIR")
    ap.add_argument("--find-samples", type=int, default=2000, help="labelled faces for --kinds scorer")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "measurements" / "text-directions-cpu.json")
    args = ap.parse_args(argv)
    if args.keep_by_classifier and args.keep_unnamed:
        ap.error("--keep-by-classifier: the classifier reads the other attributes, so --keep-unnamed has no texts to add")
    kinds = {kind.strip() for kind in args.kinds.split(",")}
    torch.set_num_threads(args.threads)
    device = pick_torch_device(args.device)
    generator = load_toyfaces(None, device)
    bench = Bench(generator, classifiers.load(device, arch="judge"), classifiers.load(device), args.samples,
                  args.batch_size)
    report = {"command": "python scripts/measure_text_directions.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "device": str(device), "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
              "date": time.strftime("%Y-%m-%d", time.gmtime()), "samples": args.samples,
              "shipped_strength": args.strength, "fd_generator": bench.fd_generator}
    if "global" in kinds:
        report["results"], facts = global_direction_rows(generator, bench, args, device)
        report.update(facts)
    if "scorer" in kinds:
        report["scorer_results"] = {}
        report["scorer_bank"] = scorer_direction_rows(generator, bench, args, device, report["scorer_results"],
                                                      lambda: atomic_write_text(args.out, json.dumps(report, indent=2) + "\n"))
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
