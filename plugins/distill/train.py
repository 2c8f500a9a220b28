"""Training the student on teacher pairs, with periodic, resumable state.

Loss per batch: ``L1(student(x, s), y) + feature_weight * perceptual(student(x, s), y)``.

* L1 rather than L2: it keeps edges sharp where L2 averages them away, and it does
  not let a few large-error pixels (hair boundaries) dominate.
* The perceptual term is :func:`plugins.inverters.features.perceptual_distance`
  through a feature net chosen like the inverters' (``--features``): by default the
  toyfaces attribute classifier when the generator is toyfaces (it knows what an
  attribute looks like, independent of the generator), and none otherwise (plain
  L1: a random or unrelated feature net would add noise, not knowledge).
* No adversarial term: the pairs are exact targets, and a discriminator mostly adds
  hallucinated sharpness; none was found to be needed (see docs/distillation.md).

Optimiser: Adam (lr 2e-3, betas 0.9/0.99), 100-step linear warm-up, cosine decay
to a tenth over ``steps``. On CUDA the student and feature net run under bf16
autocast. State (student, optimiser, step, elapsed time and a fingerprint of the
settings) is written to ``STATE_DIR/state.pt`` every ``save_every`` steps and at the
end, to a temporary name renamed into place; :func:`train_student` continues from it.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from engine.atomic import atomic_write
from plugins.distill.errors import DistillError
from plugins.distill.pairs import PairSampler
from plugins.distill.student import Student, StudentConfig

STATE_FORMAT = "latentroom-distill-state"
STATE_VERSION = 1
STATE_FILE = "state.pt"
WARMUP_STEPS = 100


@dataclass(frozen=True)
class TrainSettings:
    steps: int
    batch_size: int = 32
    lr: float = 2e-3
    feature_weight: float = 0.5
    save_every: int = 500
    log_every: int = 100
    time_limit: float | None = None
    """Seconds this run may train before it saves and stops (for time-boxed calls)."""
    stop_at: int | None = None
    """Save and stop at this step although ``steps`` is further (the schedule still
    spans ``steps``): splits a run deterministically."""


@dataclass
class TrainResult:
    step: int
    done: bool
    seconds: float
    """Training time over all runs so far."""
    last: dict[str, float]


def lr_at(step: int, total: int, base: float) -> float:
    warm = min(1.0, (step + 1) / WARMUP_STEPS)
    t = min(1.0, step / max(total, 1))
    return base * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def save_state(state_dir: Path, student: Student, optimizer: torch.optim.Optimizer, step: int, elapsed: float,
               fingerprint: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    data = {"format": STATE_FORMAT, "version": STATE_VERSION, "step": int(step), "elapsed": float(elapsed),
            "config": student.config.to_json(), "fingerprint": json.dumps(fingerprint, sort_keys=True),
            "student": {k: v.detach().cpu() for k, v in student.state_dict().items()},
            "optimizer": optimizer.state_dict(), "extra": json.dumps(extra or {})}
    return atomic_write(state_dir / STATE_FILE, lambda f: torch.save(data, f))


def load_state(state_dir: Path) -> dict[str, Any] | None:
    """The saved state, or ``None`` when there is none; unreadable state is an error."""
    path = state_dir / STATE_FILE
    if not path.is_file():
        return None
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DistillError(f"{path}: unreadable training state ({type(exc).__name__}: {exc}); "
                           "delete it to start over") from None
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT or data.get("version") != STATE_VERSION:
        raise DistillError(f"{path}: not a latentroom distillation state (format {STATE_FORMAT} v{STATE_VERSION})")
    data["fingerprint"] = json.loads(data["fingerprint"])
    data["extra"] = json.loads(data.get("extra") or "{}")
    return data


def check_fingerprint(saved: dict[str, Any], current: dict[str, Any], where: Path) -> None:
    """A resumed run must train the same thing: same generator weights, direction,
    range, student, batch and seed (``steps`` may grow)."""
    diff = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
    if diff:
        details = "; ".join(f"{k}: saved {saved.get(k)!r}, now {current.get(k)!r}" for k in diff)
        raise DistillError(f"{where}: cannot resume: the saved run differs in {details} "
                           "(use the same options, or delete the state to start over)")


def train_student(sampler: PairSampler, student: Student, settings: TrainSettings, state_dir: Path,
                  fingerprint: dict[str, Any], feature_net: Any = None, resume: bool = False,
                  echo: Callable[[str], None] = print) -> TrainResult:
    """Train ``student`` (in place) to ``settings.steps``; returns where it stopped.

    With ``resume`` the state in ``state_dir`` (if any) is loaded first and must have
    the same ``fingerprint``; without it an existing state is an error (so a typo in
    ``-o`` cannot silently restart a long run).
    """
    from plugins.inverters.features import perceptual_distance

    device = sampler.device
    # On the device before the optimiser exists: loading its state then puts Adam's
    # moments beside the parameters.
    student.to(device).train()
    optimizer = torch.optim.Adam(student.parameters(), lr=settings.lr, betas=(0.9, 0.99))
    step, elapsed_before = 0, 0.0
    state = load_state(state_dir)
    if state is not None and not resume:
        raise DistillError(f"{state_dir}: holds the state of an earlier run (step {state['step']}); "
                           "pass --resume to continue it, or delete the directory to start over")
    if state is not None:
        check_fingerprint(state["fingerprint"], fingerprint, state_dir / STATE_FILE)
        if StudentConfig.from_json(state["config"]) != student.config:
            raise DistillError(f"{state_dir}: saved student config {state['config']} differs from this run's")
        student.load_state_dict(state["student"])
        optimizer.load_state_dict(state["optimizer"])
        step, elapsed_before = int(state["step"]), float(state["elapsed"])
        echo(f"resumed from {state_dir / STATE_FILE} at step {step} ({elapsed_before:.0f} s trained)")
    amp = device.type == "cuda"
    start = time.time()
    last_save_step, log_t, log_step = step, start, step
    sums: dict[str, Any] = {}
    last: dict[str, float] = {}

    def elapsed() -> float:
        return elapsed_before + time.time() - start

    while step < settings.steps:
        timed_out = settings.time_limit is not None and time.time() - start >= settings.time_limit
        if timed_out or (settings.stop_at is not None and step >= settings.stop_at):
            save_state(state_dir, student, optimizer, step, elapsed(), fingerprint)
            echo(f"{'time limit reached' if timed_out else 'stopping'}: saved state at step {step}/{settings.steps}; "
                 "run the same command with --resume to continue")
            return TrainResult(step, False, elapsed(), last)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, settings.steps, settings.lr)
        x, y, s = sampler.batch(settings.batch_size, step)
        with torch.autocast(device.type, torch.bfloat16, enabled=amp):
            out = student(x, s).float()
            l1 = (out - y).abs().mean()
            loss = l1
            terms = {"l1": l1}
            if feature_net is not None and settings.feature_weight > 0:
                feat = perceptual_distance(feature_net, out, y).mean()
                loss = loss + settings.feature_weight * feat
                terms["feature"] = feat
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        # Summed on the device and read only when logging: a float() per step would
        # make the CPU wait for the GPU every step.
        for key, value in {"loss": loss, **terms}.items():
            sums[key] = sums.get(key, 0.0) + value.detach().float()
        if step % settings.log_every == 0 or step == settings.steps:
            last = {k: float(v) / max(step - log_step, 1) for k, v in sums.items()}
            now = time.time()
            n = max(step - log_step, 1)
            rate = n / max(now - log_t, 1e-9)
            eta = (settings.steps - step) / max(rate, 1e-9)
            echo(f"step {step}/{settings.steps}  " + "  ".join(f"{k} {v:.4f}" for k, v in last.items())
                 + f"  {rate:.1f} steps/s  eta {eta / 60:.1f} min")
            sums, log_t, log_step = {}, now, step
        if step - last_save_step >= settings.save_every and step < settings.steps:
            save_state(state_dir, student, optimizer, step, elapsed(), fingerprint)
            last_save_step = step
    save_state(state_dir, student, optimizer, step, elapsed(), fingerprint)
    student.eval()
    return TrainResult(step, True, elapsed(), last)


def settings_json(settings: TrainSettings) -> dict[str, Any]:
    return asdict(settings)


__all__ = ["TrainSettings", "TrainResult", "train_student", "save_state", "load_state", "lr_at",
           "check_fingerprint", "settings_json", "STATE_FILE"]
