"""Training the student on teacher pairs, with periodic, resumable state.

Loss per batch: ``pixel(out, y) + feature_weight * perceptual(out, y) +
adversarial_weight * adversarial(x, out)`` with ``out = student(x, s)``; for the
painting head (``head="paint"``) its coverage and colour terms
(:mod:`latentroom.plugins.distill.paint`) take the pixel term's place.

* The pixel term is the mean squared error by default (``pixel_loss="mse"``), not
  L1. A local edit leaves most target pixels equal to the input; L1 pulls every one
  of those back with the same force however small its error, so a student that
  starts as the identity and cannot yet tell the region from the rest is held at
  the identity (measured: a beard student's L1 stayed at the identity's value for
  its whole H200 run, and on the CPU at batch 16-32 for 600 steps, while the MSE
  student's held-out PSNR rose; docs/distillation.md). The squared error's pull
  vanishes as an outside pixel's error does. ``"l1"`` stays for comparison.
* ``"relative"`` divides each pair's squared error by the size of its edit (the
  pair's mean squared change plus :data:`RELATIVE_FLOOR`), the batch weighted to a
  mean of one. Under the plain squared error an edit counts by its contrast: dark
  frames on dark skin change a fifth as much as on light skin, and a glasses
  student trained on it drew them only on the light faces (docs/distillation.md).
  Relative to its size, every face's edit counts alike, as the truth's region error
  counts it.
* ``l1_start`` switches the pixel term to each pixel's absolute error (``"relative"``
  then divides it by the edit's root mean square) once that share of training is done
  (:func:`absolute_pixels_at`). Where the teacher's targets for one input disagree (a
  mouth drawn here on some faces and a few pixels lower on others, a beard that covers
  a pixel on most faces but not all) the squared error learns their mean, a double
  exposure; the absolute error learns their median, one of them. From the identity the
  absolute error holds the student there (above), so it waits for the squared error to
  find the edit (docs/distillation.md, session 30).
* The perceptual term is :func:`latentroom.plugins.inverters.features.perceptual_distance`
  through a feature net chosen like the inverters' (``--features``): by default the
  toyfaces attribute classifier when the generator is toyfaces (it knows what an
  attribute looks like, independent of the generator), and none otherwise (plain
  L1: a random or unrelated feature net would add noise, not knowledge).
* The adversarial term (``adversarial_weight`` > 0) trains a conditional patch
  discriminator (:mod:`latentroom.plugins.distill.discriminator`) on teacher pairs against
  student pairs, one step each per student step: where targets are not one
  function of the input, L1 alone learns their average (a ghost), which the
  discriminator can tell from any teacher pair. The student's term is off for the
  first ``adversarial_start`` of training (:func:`adversarial_weight_at`).
  docs/distillation.md compares both.

Optimiser: Adam (lr 2e-3, betas 0.9/0.99), 100-step linear warm-up, cosine decay
to a tenth over ``steps``. On CUDA the student and feature net run under bf16
autocast. State (student, optimiser, step, elapsed time and a fingerprint of the
settings; the discriminator and its optimiser when there is one) is written to
``STATE_DIR/state.pt`` every ``save_every`` steps and at the
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

from latentroom.engine.atomic import atomic_write
from latentroom.plugins.distill.errors import DistillError
from latentroom.plugins.distill.paint import paint_terms
from latentroom.plugins.distill.pairs import PairPool, PairSampler
from latentroom.plugins.distill.student import Student, StudentConfig

STATE_FORMAT = "latentroom-distill-state"
STATE_VERSION = 1
STATE_FILE = "state.pt"
WARMUP_STEPS = 100
ADVERSARIAL_RAMP = 0.1


@dataclass(frozen=True)
class TrainSettings:
    steps: int
    batch_size: int = 32
    lr: float = 2e-3
    feature_weight: float = 0.5
    adversarial_weight: float = 0.0
    adversarial_start: float = 0.5
    """Share of training (steps or time budget, whichever is further) before the
    adversarial term switches on; it then ramps to full weight over ADVERSARIAL_RAMP."""
    pixel_loss: str | None = "mse"
    """``"mse"``, ``"l1"`` or ``"relative"`` (see the module docstring); None for the
    painting head, whose own terms take the pixel term's place."""
    l1_start: float | None = None
    """Share of training after which the pixel term takes each pixel's absolute error
    instead of its square (see the module docstring); None: never."""
    save_every: int = 500
    log_every: int = 100
    time_limit: float | None = None
    """Seconds this run may train before it saves and stops (for time-boxed calls)."""
    time_budget: float | None = None
    """Seconds of training, over all resumed runs, before the run finishes early (the
    learning rate anneals against the budget, and the bundle is written); what a run
    prepares before training (``train_student``'s ``started``) counts. With
    ``time_limit`` one long budget spans several time-boxed calls."""
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


def lr_at(step: int, total: int, base: float, progress: float = 0.0) -> float:
    """Warm-up, then cosine to a tenth over the larger of the step fraction and
    ``progress`` (the share of a time budget spent)."""
    warm = min(1.0, (step + 1) / WARMUP_STEPS)
    t = min(1.0, max(step / max(total, 1), progress))
    return base * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def adversarial_weight_at(settings: TrainSettings, progress: float) -> float:
    """The adversarial term's weight once ``progress`` (0-1) of training is done.

    From the first step (a student that is still the identity) the term collapsed the
    student onto the identity (docs/distillation.md): early on the discriminator's
    gradients are large and noisy next to L1's, and Adam follows them. Switched on
    after L1 and the features have found the edit, it works on an edit already there
    (measured on glasses: docs/distillation.md)."""
    ramp = (progress - settings.adversarial_start) / ADVERSARIAL_RAMP
    return settings.adversarial_weight * min(1.0, max(0.0, ramp))


def absolute_pixels_at(settings: TrainSettings, progress: float) -> bool:
    """Whether the pixel term takes absolute errors once ``progress`` (0-1) of training is done."""
    return settings.l1_start is not None and progress >= settings.l1_start


def save_state(state_dir: Path, trainee: "Trainee", step: int, elapsed: float, fingerprint: dict[str, Any]) -> Path:
    data = {"format": STATE_FORMAT, "version": STATE_VERSION, "step": int(step), "elapsed": float(elapsed),
            "config": trainee.student.config.to_json(), "fingerprint": json.dumps(fingerprint, sort_keys=True),
            **trainee.state()}
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
    return data


def check_fingerprint(saved: dict[str, Any], current: dict[str, Any], where: Path) -> None:
    """A resumed run must train the same thing: same generator weights, direction,
    range, student, batch and seed (``steps`` may grow)."""
    diff = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
    if diff:
        details = "; ".join(f"{k}: saved {saved.get(k)!r}, now {current.get(k)!r}" for k in diff)
        raise DistillError(f"{where}: cannot resume: the saved run differs in {details} "
                           "(use the same options, or delete the state to start over)")


@dataclass
class Trainee:
    """What one run optimises: the student and, with an adversarial term, its
    discriminator, each with its Adam optimiser."""

    student: Student
    optimizer: torch.optim.Optimizer
    discriminator: Any = None
    d_optimizer: torch.optim.Optimizer | None = None

    @classmethod
    def build(cls, student: Student, settings: TrainSettings, device: torch.device) -> "Trainee":
        # On the device before the optimisers exist: loading their state then puts
        # Adam's moments beside the parameters.
        student.to(device).train()
        # Fused on CUDA: one kernel for the whole update instead of a few per parameter
        # tensor, which a student this small would otherwise wait on every step.
        fused = device.type == "cuda"
        trainee = cls(student, torch.optim.Adam(student.parameters(), lr=settings.lr, betas=(0.9, 0.99), fused=fused))
        if settings.adversarial_weight > 0:
            from latentroom.plugins.distill.discriminator import PatchDiscriminator

            trainee.discriminator = PatchDiscriminator().to(device).train()
            # Adam with beta1 0.5 and a lower rate: the usual stable choice for GAN critics.
            trainee.d_optimizer = torch.optim.Adam(trainee.discriminator.parameters(), lr=settings.lr / 4,
                                                   betas=(0.5, 0.99), fused=fused)
        return trainee

    def state(self) -> dict[str, Any]:
        data = {"student": {k: v.detach().cpu() for k, v in self.student.state_dict().items()},
                "optimizer": self.optimizer.state_dict()}
        if self.discriminator is not None and self.d_optimizer is not None:
            data["discriminator"] = {k: v.detach().cpu() for k, v in self.discriminator.state_dict().items()}
            data["d_optimizer"] = self.d_optimizer.state_dict()
        return data

    def restore(self, state: dict[str, Any]) -> None:
        self.student.load_state_dict(state["student"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.discriminator is not None and self.d_optimizer is not None:
            self.discriminator.load_state_dict(state["discriminator"])
            self.d_optimizer.load_state_dict(state["d_optimizer"])


def _resume(trainee: Trainee, state_dir: Path, fingerprint: dict[str, Any], resume: bool,
            echo: Callable[[str], None]) -> tuple[int, float]:
    """Load the saved state when resuming; ``(step, seconds trained before)``."""
    state = load_state(state_dir)
    if state is not None and not resume:
        raise DistillError(f"{state_dir}: holds the state of an earlier run (step {state['step']}); "
                           "pass --resume to continue it, or delete the directory to start over")
    if state is None:
        return 0, 0.0
    check_fingerprint(state["fingerprint"], fingerprint, state_dir / STATE_FILE)
    if StudentConfig.from_json(state["config"]) != trainee.student.config:
        raise DistillError(f"{state_dir}: saved student config {state['config']} differs from this run's")
    trainee.restore(state)
    step, elapsed = int(state["step"]), float(state["elapsed"])
    echo(f"resumed from {state_dir / STATE_FILE} at step {step} ({elapsed:.0f} s trained)")
    return step, elapsed


PIXEL_LOSSES = ("mse", "l1", "relative")
RELATIVE_FLOOR = (6 / 127.5) ** 2
"""An edit of 6 levels of 255 on every pixel: below it, a pair counts as no edit, so an
unchanged pair weighs at most as much as an edit of that size (not infinitely)."""


def pixel_distance(out: torch.Tensor, target: torch.Tensor, kind: str,
                   inputs: torch.Tensor | None = None, absolute: bool = False) -> torch.Tensor:
    """Mean pixel error of one batch, squared (``"mse"``), absolute (``"l1"``) or squared
    relative to each pair's edit (``"relative"``, which needs the ``inputs``). With
    ``absolute`` every kind takes absolute errors; relative ones are then divided by the
    edit's root mean square, so every face's edit still counts alike."""
    if kind not in PIXEL_LOSSES:
        raise DistillError(f"unknown pixel loss {kind!r} (choose from {', '.join(PIXEL_LOSSES)})")
    error = (out - target).abs() if absolute or kind == "l1" else (out - target).pow(2)
    if kind != "relative":
        return error.mean()
    if inputs is None:
        raise DistillError("the relative pixel loss needs the pairs' inputs")
    weights = 1.0 / ((target - inputs).pow(2).flatten(1).mean(1) + RELATIVE_FLOOR)
    if absolute:
        weights = weights.sqrt()
    return (weights * error.flatten(1).mean(1)).sum() / weights.sum()


def _image_terms(student: Student, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], settings: TrainSettings,
                 absolute: bool) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The student's output and the terms that fit it to its targets: the pixel term (named
    by its kind), or the painting head's coverage and colour terms."""
    x, y, s = batch
    if student.config.head == "paint":
        out, terms = paint_terms(student, x, y, s)
        return out.float(), terms
    out = student(x, s).float()
    pixel = pixel_distance(out, y, settings.pixel_loss, x, absolute)
    return out, {f"{settings.pixel_loss}-absolute" if absolute else settings.pixel_loss: pixel}


def _train_step(trainee: Trainee, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], settings: TrainSettings,
                feature_net: Any, amp: bool, adversarial_weight: float | None = None,
                absolute: bool = False) -> dict[str, torch.Tensor]:
    """One optimiser step of the student (and of the discriminator, when there is one);
    returns the loss terms as device tensors (reading them would sync the GPU).
    ``adversarial_weight`` defaults to the settings' full weight; ``absolute`` takes the
    pixel term's absolute errors (logged under its own name)."""
    from latentroom.plugins.distill.discriminator import adversarial_loss, discriminator_loss
    from latentroom.plugins.inverters.features import perceptual_distance

    x, y, s = batch
    device_type = x.device.type
    with torch.autocast(device_type, torch.bfloat16, enabled=amp):
        out, terms = _image_terms(trainee.student, batch, settings, absolute)
        loss = sum(terms.values())
        if feature_net is not None and settings.feature_weight > 0:
            terms["feature"] = perceptual_distance(feature_net, out, y).mean()
            loss = loss + settings.feature_weight * terms["feature"]
        if trainee.discriminator is not None:
            terms["adversarial"] = adversarial_loss(trainee.discriminator(x, out).float())
            weight = settings.adversarial_weight if adversarial_weight is None else adversarial_weight
            loss = loss + weight * terms["adversarial"]
    trainee.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    trainee.optimizer.step()
    if trainee.discriminator is not None and trainee.d_optimizer is not None:
        with torch.autocast(device_type, torch.bfloat16, enabled=amp):
            terms["discriminator"] = discriminator_loss(trainee.discriminator(x, y).float(),
                                                        trainee.discriminator(x, out.detach()).float())
        trainee.d_optimizer.zero_grad(set_to_none=True)
        terms["discriminator"].backward()
        trainee.d_optimizer.step()
    return {"loss": loss, **terms}


class _Progress:
    """Loss sums kept on the device and read only every ``log_every`` steps: a float()
    per step would make the CPU wait for the GPU every step. Each term is averaged over
    the steps that had it (the pixel term changes its name when it turns absolute)."""

    def __init__(self, step: int, settings: TrainSettings, batch_size: int, echo: Callable[[str], None]) -> None:
        self.settings, self.batch_size, self.echo = settings, batch_size, echo
        self.sums: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.last: dict[str, float] = {}
        self.since_step, self.since = step, time.time()

    def add(self, step: int, terms: dict[str, torch.Tensor]) -> None:
        for key, value in terms.items():
            self.sums[key] = self.sums.get(key, 0.0) + value.detach().float()
            self.counts[key] = self.counts.get(key, 0) + 1
        if step % self.settings.log_every and step != self.settings.steps:
            return
        n = max(step - self.since_step, 1)
        self.last = {k: float(v) / self.counts[k] for k, v in self.sums.items()}
        now = time.time()
        rate = n / max(now - self.since, 1e-9)
        eta = (self.settings.steps - step) / max(rate, 1e-9)
        self.echo(f"step {step}/{self.settings.steps}  " + "  ".join(f"{k} {v:.4f}" for k, v in self.last.items())
                  + f"  {rate:.1f} steps/s  {rate * self.batch_size:.0f} pairs/s  eta {eta / 60:.1f} min")
        self.sums, self.counts, self.since_step, self.since = {}, {}, step, now


def train_student(sampler: PairSampler | PairPool, student: Student, settings: TrainSettings, state_dir: Path,
                  fingerprint: dict[str, Any], feature_net: Any = None, resume: bool = False,
                  echo: Callable[[str], None] = print, started: float | None = None) -> TrainResult:
    """Train ``student`` (in place) to ``settings.steps``; returns where it stopped.

    With ``resume`` the state in ``state_dir`` (if any) is loaded first and must have
    the same ``fingerprint``; without it an existing state is an error (so a typo in
    ``-o`` cannot silently restart a long run). ``started`` (a ``time.time()``, default
    now) is when this run's clock for the time limit and budget began: the caller's
    own preparation before training (finding a pairs file's mouths) counts.
    """
    start = time.time() if started is None else started
    trainee = Trainee.build(student, settings, sampler.device)
    step, elapsed_before = _resume(trainee, state_dir, fingerprint, resume, echo)
    amp = sampler.device.type == "cuda"
    last_save_step = step
    progress = _Progress(step, settings, settings.batch_size, echo)

    def save() -> None:
        save_state(state_dir, trainee, step, elapsed_before + time.time() - start, fingerprint)

    while step < settings.steps:
        timed_out = settings.time_limit is not None and time.time() - start >= settings.time_limit
        if timed_out or (settings.stop_at is not None and step >= settings.stop_at):
            save()
            echo(f"{'time limit reached' if timed_out else 'stopping'}: saved state at step {step}/{settings.steps}; "
                 "run the same command with --resume to continue")
            return TrainResult(step, False, elapsed_before + time.time() - start, progress.last)
        # The budget is the whole run's, over every resumed call: a resumed run picks up
        # the anneal where the saved one stopped instead of starting it again.
        spent = (elapsed_before + time.time() - start) / settings.time_budget if settings.time_budget else 0.0
        if spent >= 1.0:
            echo(f"time budget spent: finishing at step {step}/{settings.steps}")
            break
        for group in trainee.optimizer.param_groups:
            group["lr"] = lr_at(step, settings.steps, settings.lr, spent)
        done = max(step / settings.steps, spent)
        terms = _train_step(trainee, sampler.batch(settings.batch_size, step), settings, feature_net, amp,
                            adversarial_weight_at(settings, done), absolute_pixels_at(settings, done))
        step += 1
        progress.add(step, terms)
        if step - last_save_step >= settings.save_every and step < settings.steps:
            save()
            last_save_step = step
    save()
    student.eval()
    return TrainResult(step, True, elapsed_before + time.time() - start, progress.last)


def settings_json(settings: TrainSettings) -> dict[str, Any]:
    return asdict(settings)


__all__ = ["PIXEL_LOSSES", "RELATIVE_FLOOR", "pixel_distance", "TrainSettings", "TrainResult", "Trainee", "train_student", "save_state", "load_state", "lr_at",
           "adversarial_weight_at", "absolute_pixels_at",
           "check_fingerprint", "settings_json", "STATE_FILE"]
