"""Probe (issue 19): does the optimized text direction for smile leak less when the
text scorer also watches the attributes it has no text for? Rough CPU figures.

    OMP_NUM_THREADS=2 python docs/measurements/text-smile-keep-probe-cpu-2026-12-03/smile_keep_probe.py

from the repository root (shared 2-core CPU, 2026-12-03, ~23 minutes per direction);
it writes out/s13/smile_keep_probe.json.
"""
import json, sys, time
import torch
sys.path.insert(0, "scripts")
from measure_text_directions import Bench, compare, TEXTS
from latentroom.engine.plugins import get_direction_source
from latentroom.plugins.directions.scoring import resolve_scorer
from latentroom.plugins.toyfaces import classifier as classifiers
from latentroom.plugins.toyfaces.generator import load_toyfaces

torch.set_num_threads(2)
g = load_toyfaces(None, "cpu")
bench = Bench(g, classifiers.load("cpu", arch="judge"), classifiers.load("cpu"), 96, 32)
four = {k: v for k, v in TEXTS.items() if k != "smile"}
more = {**four, "eyes": "a face with big eyes", "skin": "a face with dark skin", "pose": "a face facing the camera",
        "width": "a face with a wide face", "colour": "a face with blond hair"}
source = get_direction_source("optimized").value()
out = {}
for name, others in (("four texts kept", four), ("nine texts kept", more)):
    spec = "text:" + ";".join(f"{n}={t}" for n, t in {"smile": TEXTS["smile"], **others}.items())
    scorer = resolve_scorer(spec, "cpu", g, "toyfaces")
    t0 = time.time()
    found = source.find(g, "smile", scorer=scorer, samples=512, generator_spec="toyfaces", batch_size=24,
                        steps=60, others_weight=0.5, layers="all")
    row = compare(bench, found, ("smile",), 2.0)
    out[name] = {"seconds": time.time() - t0, "ratio": row["target_ratio_smile"],
                 "leak": row["text_direction"]["judge_leakage"], "shipped_leak": row["shipped"]["judge_leakage"],
                 "change": row["text_direction"]["judge_change"]}
    print(name, json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in out[name].items() if k != "change"}),
          {k: round(v, 3) for k, v in out[name]["change"].items()}, flush=True)
json.dump(out, open("out/s13/smile_keep_probe.json", "w"), indent=2)
