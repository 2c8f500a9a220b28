"""Install a toyfaces GAN training snapshot as the shipped generator, with its provenance.

Usage: python scripts/ship_generator.py TRAIN_OUT [--status "interim: training continues"]

TRAIN_OUT is a ``latentroom train-gan --out`` folder: ``toyfaces_g_ema.pt`` (the
exported fp16 g_ema), ``train.log`` (every resumed call's log, appended) and
``ckpt/meta.json``. The provenance (command, seed, config, images seen, device,
the per-call training segments read from the log, sha256) is derived from those
files, so it cannot drift from the weights it describes.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file from anywhere
    sys.path.insert(0, str(ROOT))

from latentroom.engine.atomic import atomic_write, atomic_write_text  # noqa: E402 (needs ROOT on sys.path)

WEIGHTS = ROOT / "plugins" / "toyfaces" / "weights"

# How every call was run on the device (a fresh copy of the repo each time, the
# previous call's ckpt/ and train.log carried in under .device-carry/gan/).
CALL_COMMAND = (
    "cp .device-carry/gan/train.log $OUT/train.log; "
    "PYTHONPATH=. python3 -m latentroom.plugins.toyfaces.train_gan -o $OUT --state-dir /root/lr-gan "
    "--resume /root/lr-gan --resume .device-carry/gan/ckpt --seconds SECONDS"
)
SEGMENT = re.compile(r"stopped at step (\d+) \((\d+) kimg\) after (\d+)s")


def _copy(src: Path, dst: Path) -> None:
    with open(src, "rb") as f:
        atomic_write(dst, lambda out: shutil.copyfileobj(f, out))


def ship(train_out: Path, status: str) -> dict:
    meta = json.loads((train_out / "ckpt" / "meta.json").read_text())
    log = (train_out / "train.log").read_text()
    segments = [{"until_step": int(s), "until_kimg": int(k), "seconds": int(t)} for s, k, t in SEGMENT.findall(log)]
    weights = train_out / "toyfaces_g_ema.pt"
    info = {
        "status": status,
        "date": datetime.date.today().isoformat(),
        "file": "generator.pt",
        "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "format": "community layout {g_ema, latent_avg, config}; g_ema tensors stored as float16 "
                  "(loaded as float32); latent_avg = mean w of 10,000 z drawn with torch seed 0",
        "command": CALL_COMMAND,
        "command_note": "equivalent: latentroom train-gan with the same options. One resumed device call "
                        "per entry of 'segments' (--seconds as listed); a call that stopped without "
                        "training is not listed.",
        "segments": segments,
        "calls": len(segments),
        "seed": meta["seed"],
        "config": meta["config"],
        "training": {k: meta[k] for k in ("batch", "lr", "r1_gamma", "mixing", "ema_kimg", "dataset_size",
                                          "precision", "compile") if k in meta},
        "step": meta["step"],
        "images_seen": meta["images_seen"],
        "kimg": round(meta["images_seen"] / 1000),
        "device": f"cuda ({meta['device']})",
        "log": "generator-train.log",
    }
    _copy(weights, WEIGHTS / "generator.pt")
    _copy(train_out / "train.log", WEIGHTS / "generator-train.log")
    atomic_write_text(WEIGHTS / "generator.json", json.dumps(info, indent=2) + "\n")
    return info


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train_out", type=Path)
    parser.add_argument("--status", default="interim: training continues")
    args = parser.parse_args()
    shipped = ship(args.train_out, args.status)
    print(f"shipped {shipped['kimg']} kimg, sha256 {shipped['sha256'][:16]}")
