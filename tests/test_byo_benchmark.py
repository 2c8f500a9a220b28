"""benchmarks/byo_1024.py end to end at 64² on the CPU (``--quick``), run as the lead
runs it at 1024² on the GPU, so that it does not rot: every stage runs on a
community-format checkpoint and the JSON and markdown results are written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["write-checkpoint", "generate", "train-encoder", "invert-projector", "invert-encoder", "write-e4e-file",
          "invert-e4e", "direction-find", "edit", "author-train", "author-export", "author-quality", "apply"]


def test_quick_run_writes_every_stage(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    command = [sys.executable, str(ROOT / "benchmarks" / "byo_1024.py"), "--size", "64", "--quick",
               "--device", "cpu", "--out", str(tmp_path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads((tmp_path / "byo_1024.json").read_text())
    assert [s["name"] for s in data["stages"]] == STAGES
    assert all(s["seconds"] > 0 and s["peak_mib"] is None for s in data["stages"])
    rates = {s["name"]: (s["rate"], s["unit"]) for s in data["stages"] if s["rate"]}
    assert rates["author-train"][1] == "pairs/s" and rates["train-encoder"][1] == "img/s"
    assert all(rate > 0 for rate, _ in rates.values())
    assert data["size"] == 64 and data["machine"]["device"] == "cpu"
    table = (tmp_path / "byo_1024.md").read_text()
    assert all(f"| {name} |" in table for name in STAGES)
