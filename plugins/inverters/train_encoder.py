"""Train the ``encoder`` inverter on samples of a generator.

    latentroom train-encoder --generator SPEC --out DIR --seconds S \
        [--seed 0] [--resume DIR] [--batch-size 64] [--delta-weight 0.1] [--install]

Each step draws ``w`` from the generator (with style mixing: a random crossover
layer switches to a second ``w``, so targets cover W+ and not only W), renders the
images without gradients, encodes them and minimises

* ``latent_weight * |u_pred - u_target|^2``: latent regression (u: W in std units);
* ``pixel_weight * MSE(G(ws_pred), x) + feature_weight * perceptual(G(ws_pred), x)``:
  reconstruction through the generator, with gradients flowing through G into the
  encoder (G's own weights are frozen);
* ``delta_weight * mean(delta^2)``: the editability regulariser (see
  :mod:`latentroom.plugins.inverters.encoder`).

Efficiency: bf16 autocast on CUDA, batch 64, samples rendered under no_grad, the
generator's modulated convs switched to input modulation (one shared-weight conv,
faster at this batch size on GPUs). Training stops after ``--seconds`` and writes

* ``DIR/encoder.pt``: the inference weights (fp16, a few MiB), what ``encoder`` and
  ``hybrid`` load (``--install`` also copies it to the generator's default path);
* ``DIR/state/``: fp32 weights and (bf16) Adam moments for ``--resume``, as shards
  of at most 15 MiB plus ``meta.json`` (written last, so a crash leaves the previous
  state); about 38 MiB in all for the toyfaces encoder;
* ``DIR/train.log``: one JSON line per ``--log-every`` steps.

The state is also saved every ``--save-every`` seconds. Runs resume exactly
(same step counter, learning-rate schedule and per-step seeds).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from latentroom.engine.atomic import atomic_write, atomic_write_bytes, atomic_write_text
from latentroom.engine.devices import pick_torch_device

SHARD_BYTES = 15 * 2**20


# ----------------------------------------------------------------- sharded state


def save_sharded(tensors: dict[str, Any], directory: Path, meta: dict[str, Any], tag: str) -> None:
    """Write ``tensors`` as shards of at most SHARD_BYTES (large tensors are split)
    and ``meta.json`` (with ``meta`` plus the layout) last, then delete the shards
    the previous ``meta.json`` named."""
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    old = _read_meta(directory)
    layout: dict[str, Any] = {}
    shards: list[dict[str, Any]] = [{}]
    used = 0
    for name, tensor in tensors.items():
        t = tensor.detach().cpu().contiguous()
        flat = t.reshape(-1)
        per_piece = max(1, SHARD_BYTES // max(t.element_size(), 1))
        pieces = []
        for k, piece in enumerate(flat.split(per_piece)):
            nbytes = piece.numel() * piece.element_size()
            if used + nbytes > SHARD_BYTES and shards[-1]:
                shards.append({})
                used = 0
            key = f"{name}#{k}"
            shards[-1][key] = piece.clone()
            used += nbytes
            pieces.append([len(shards) - 1, key])
        layout[name] = {"shape": list(t.shape), "pieces": pieces}
    files = []
    for i, shard in enumerate(shards):
        fname = f"shard-{tag}-{i:02d}.pt"
        atomic_write(directory / fname, lambda f, s=shard: torch.save(s, f))
        files.append(fname)
    for entry in layout.values():
        entry["pieces"] = [[files[i], key] for i, key in entry["pieces"]]
    record = {**meta, "files": files, "layout": layout}
    atomic_write_text(directory / "meta.json", json.dumps(record, indent=1))
    for fname in (old or {}).get("files", []):
        if fname not in files and (directory / fname).exists():
            (directory / fname).unlink()


def load_sharded(directory: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(tensors, meta)`` from :func:`save_sharded`'s directory, or None if absent."""
    import torch

    meta = _read_meta(directory)
    if meta is None:
        return None
    cache = {f: torch.load(directory / f, map_location="cpu", weights_only=True) for f in meta["files"]}
    tensors = {}
    for name, entry in meta["layout"].items():
        flat = torch.cat([cache[f][key] for f, key in entry["pieces"]])
        tensors[name] = flat.reshape(entry["shape"])
    return tensors, meta


def _read_meta(directory: Path) -> dict[str, Any] | None:
    path = directory / "meta.json"
    return json.loads(path.read_text()) if path.is_file() else None


# ------------------------------------------------------------------------ training


def mixed_targets(w1: Any, w2: Any, n_latent: int, mix_prob: float, gen: Any) -> Any:
    """W+ targets ``[B, n_latent, D]``: ``w1`` on every layer, switched to ``w2`` from
    a random crossover layer on with probability ``mix_prob`` per sample."""
    import torch

    b = w1.shape[0]
    cross = torch.randint(1, max(n_latent, 2), (b,), generator=gen, device=w1.device)
    mixing = torch.rand(b, generator=gen, device=w1.device) < mix_prob
    cross = torch.where(mixing, cross, torch.full_like(cross, n_latent))
    layer = torch.arange(n_latent, device=w1.device)[None, :]
    use_second = (layer >= cross[:, None])[..., None]
    return torch.where(use_second, w2[:, None, :], w1[:, None, :])


@dataclass
class LossWeights:
    latent: float
    delta: float
    pixel: float
    feature: float


@dataclass
class EncoderRun:
    """One training run: what it trains, with what, and where it stands."""

    generator: Any
    model: Any
    optimizer: Any
    feature_net: Any
    dev: Any
    weights: LossWeights
    settings: dict[str, Any]
    step: int = 0
    elapsed_before: float = 0.0
    start: float = field(default_factory=time.time)

    @property
    def amp(self) -> bool:
        return self.dev.type == "cuda"

    def elapsed(self) -> float:
        return self.elapsed_before + (time.time() - self.start)


def prepare_generator(generator_spec: str | None, device: str) -> tuple[Any, Any]:
    """The frozen generator in eval mode (gradients flow through it, not into it) and
    the torch device, with CUDA's fast settings."""
    import torch

    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.inverters.common import use_input_modulation

    dev = torch.device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    generator = resolve_generator(generator_spec, device)
    if hasattr(generator, "requires_grad_"):
        generator.requires_grad_(False)
    if hasattr(generator, "eval"):
        generator.eval()
    if dev.type == "cuda":  # one ordinary conv per layer: faster at batch 64 than grouped ones
        use_input_modulation(generator)
    return generator, dev


def resume_sources(resume: Path | None) -> tuple[tuple[dict[str, Any], dict[str, Any]] | None, dict[str, Any] | None]:
    """``(full state or None, encoder config or None)`` to continue from: ``resume/state``
    if it is there, else the inference weights ``resume/encoder.pt``."""
    from latentroom.engine.errors import LatentroomError

    if resume is None:
        return None, None
    state = load_sharded(resume / "state")
    if state is not None:
        return state, state[1]["config"]
    if not (resume / "encoder.pt").is_file():
        raise LatentroomError(f"{resume}: nothing to resume from (no state/meta.json or encoder.pt)")
    from latentroom.plugins.inverters.encoder import read_encoder_file

    return None, read_encoder_file(resume / "encoder.pt")["config"]


def restore_state(run: EncoderRun, state: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Weights, Adam moments, step counter and elapsed time from a saved state."""
    tensors, meta = state
    run.model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    opt_state: dict[str, Any] = {"param_groups": meta["param_groups"], "state": {}}
    for name, value in tensors.items():
        if name.startswith("opt."):
            _, index, key = name.split(".", 2)
            opt_state["state"].setdefault(int(index), {})[key] = value
    run.optimizer.load_state_dict(opt_state)
    run.step, run.elapsed_before = int(meta["step"]), float(meta["elapsed"])


def build_run(generator: Any, dev: Any, generator_spec: str | None, resume: Path | None, widths: tuple[int, ...] | None,
              lr: float, seed: int, weights: LossWeights, settings: dict[str, Any], features: str,
              echo: Any) -> EncoderRun:
    """A fresh encoder (its W statistics from the generator), or one resumed from a full
    state or from inference weights (fresh optimiser), on the device, in train mode."""
    import torch

    from latentroom.engine.errors import LatentroomError
    from latentroom.plugins.inverters.common import w_statistics
    from latentroom.plugins.inverters.encoder import DEFAULT_WIDTHS, Encoder, load_encoder
    from latentroom.plugins.inverters.features import load_feature_net

    n_latent, style_dim = int(generator.n_latent), int(generator.style_dim)
    state, config = resume_sources(resume)
    model = Encoder(**config) if config else Encoder(n_latent, style_dim, widths=widths or DEFAULT_WIDTHS)
    if model.n_latent != n_latent or model.style_dim != style_dim:
        raise LatentroomError(f"{resume}: encoder shape does not fit generator {generator_spec}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
    run = EncoderRun(generator, model, optimizer, None, dev, weights, settings)
    if state is not None:
        restore_state(run, state)
        echo(f"resumed from {resume}/state at step {run.step} ({run.elapsed_before:.0f} s trained)")
    elif resume is not None:
        loaded, _ = load_encoder(resume / "encoder.pt")
        model.load_state_dict(loaded.state_dict())
        echo(f"resumed weights from {resume}/encoder.pt (fresh optimiser)")
    else:
        w_mean, w_std = w_statistics(generator, seed=seed)
        model.w_mean.copy_(w_mean.cpu())
        model.w_std.copy_(w_std.cpu())
    model.to(dev).train()
    if dev.type == "cuda":
        model.to(memory_format=torch.channels_last)
    run.feature_net = load_feature_net(features, dev, generator) if weights.feature > 0 else None
    return run


def set_learning_rate(run: EncoderRun, lr: float, horizon: float) -> None:
    """Warm-up over 200 steps, then cosine to a tenth over ``horizon`` seconds of training."""
    t = min(1.0, run.elapsed() / max(horizon, 1e-9))
    warm = min(1.0, (run.step + 1) / 200)
    for group in run.optimizer.param_groups:
        group["lr"] = lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def sample_targets(run: EncoderRun, batch_size: int, mix_prob: float, seed: int) -> tuple[Any, Any]:
    """``(images, W+ targets)`` for this step, rendered without gradients from the
    step's own seed (so a resumed run draws what an uninterrupted one would)."""
    import torch

    g, dev = run.generator, run.dev
    gen = torch.Generator(device=dev).manual_seed(seed * 1_000_003 + run.step)
    with torch.no_grad(), torch.autocast(dev.type, torch.bfloat16, enabled=run.amp):
        z = torch.randn(2 * batch_size, int(g.style_dim), generator=gen, device=dev)
        w = g.mapping(z).float()
        ws_t = mixed_targets(w[:batch_size], w[batch_size:], int(g.n_latent), mix_prob, gen)
        x = g.synthesis(ws_t, noise_mode="random").float().clamp(-1, 1)
    if dev.type == "cuda":
        x = x.contiguous(memory_format=torch.channels_last)
    return x, ws_t


def losses(run: EncoderRun, x: Any, ws_t: Any) -> tuple[Any, dict[str, Any]]:
    """``(total loss, {term: value})``: latent regression and the delta regulariser,
    plus reconstruction through the generator when a pixel or feature term is on."""
    import torch

    from latentroom.plugins.inverters.features import perceptual_distance

    w, use_features = run.weights, run.feature_net is not None and run.weights.feature > 0
    with torch.autocast(run.dev.type, torch.bfloat16, enabled=run.amp):
        ws_p, deltas = run.model(x)
        latent = ((ws_p - ws_t) / run.model.w_std).pow(2).mean()
        delta_reg = deltas.pow(2).mean()
        loss = w.latent * latent + w.delta * delta_reg
        terms = {"latent": latent, "delta": delta_reg}
        if w.pixel > 0 or use_features:
            rec = run.generator.synthesis(ws_p, noise_mode="const").float()
            pix = (rec - x).pow(2).mean()
            loss = loss + w.pixel * pix
            terms["pixel"] = pix
            if use_features:
                feat = perceptual_distance(run.feature_net, rec, x).mean()
                loss = loss + w.feature * feat
                terms["feature"] = feat
    return loss, terms


def save_run(run: EncoderRun, out: Path, generator_spec: str | None, install: bool) -> None:
    """The full state (fp32 weights, bf16 Adam moments) for resuming, and the inference
    file ``encoder.pt`` (also at the generator's default path with ``install``)."""
    import torch

    from latentroom.plugins.inverters.encoder import default_weights_path, save_encoder

    tensors = {f"model.{k}": v.float() if v.is_floating_point() else v for k, v in run.model.state_dict().items()}
    opt = run.optimizer.state_dict()
    for index, entries in opt["state"].items():
        for key, value in entries.items():
            value = value if torch.is_tensor(value) else torch.tensor(value)
            if value.is_floating_point() and value.numel() > 1:
                # Adam moments in bf16: half the bytes to carry between machines;
                # Adam casts them back to fp32 on load and only their scale matters.
                value = value.to(torch.bfloat16)
            tensors[f"opt.{index}.{key}"] = value
    meta = {"step": run.step, "elapsed": run.elapsed(), "config": run.model.config,
            "param_groups": opt["param_groups"], "settings": run.settings}
    save_sharded(tensors, out / "state", meta, tag=f"{run.step:09d}")
    train_info = {"steps": run.step, "seconds": round(meta["elapsed"], 1), **run.settings}
    sha = getattr(run.generator, "weights_sha256", None)
    path = save_encoder(run.model, out / "encoder.pt", generator_sha256=sha, generator_spec=generator_spec,
                        train=train_info)
    if install:
        atomic_write_bytes(default_weights_path(sha), path.read_bytes())


@dataclass
class StepLog:
    """Loss sums since the last record; summed on the device and read only when
    logging (``float()`` every step would make the CPU wait for the GPU)."""

    path: Path
    batch_size: int
    last_t: float
    last_step: int
    sums: dict[str, Any] = field(default_factory=dict)

    def add(self, loss: Any, terms: dict[str, Any]) -> None:
        for key, value in {"loss": loss, **terms}.items():
            self.sums[key] = self.sums.get(key, 0.0) + value.detach().float()

    def record(self, run: EncoderRun, echo: Any) -> dict[str, Any]:
        now, n = time.time(), run.step - self.last_step
        record = {"step": run.step, "elapsed": round(run.elapsed_before + now - run.start, 1),
                  "lr": run.optimizer.param_groups[0]["lr"],
                  "images_per_s": round(n * self.batch_size / max(now - self.last_t, 1e-9), 1),
                  **{k: round(float(v) / max(n, 1), 5) for k, v in self.sums.items()}}
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
        echo(json.dumps(record))
        self.sums, self.last_t, self.last_step = {}, now, run.step
        return record


def train(generator_spec: str | None, out: str | Path, seconds: float, seed: int = 0,
          resume: str | Path | None = None, batch_size: int = 64, lr: float = 1e-3,
          delta_weight: float = 0.1, latent_weight: float = 1.0, pixel_weight: float = 1.0,
          feature_weight: float = 1.0, mix_prob: float = 0.5, features: str = "auto",
          device: str = "auto", log_every: int = 50, save_every: float = 120.0,
          max_steps: int | None = None, widths: tuple[int, ...] | None = None,
          total_seconds: float | None = None, install: bool = False,
          echo: Any = print) -> dict[str, Any]:
    """Train (or continue training) an encoder; returns the last log record."""
    from latentroom.plugins.inverters.encoder import count_parameters
    from latentroom.plugins.inverters.features import describe

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    generator, dev = prepare_generator(generator_spec, pick_torch_device(device))
    weights = LossWeights(latent_weight, delta_weight, pixel_weight, feature_weight)
    settings = {"batch_size": batch_size, "lr": lr, "delta_weight": delta_weight, "latent_weight": latent_weight,
                "pixel_weight": pixel_weight, "feature_weight": feature_weight, "mix_prob": mix_prob,
                "features": features, "seed": seed, "generator": generator_spec}
    run = build_run(generator, dev, generator_spec, Path(resume) if resume is not None else None, widths, lr, seed,
                    weights, settings, features, echo)
    settings["features"] = describe(features, run.feature_net)
    # The schedule spans everything trained so far plus this run unless told otherwise,
    # so a single run ends at a low learning rate.
    horizon = float(total_seconds) if total_seconds else run.elapsed_before + float(seconds)
    echo(f"encoder: {count_parameters(run.model) / 1e6:.2f} M parameters; generator {generator_spec} "
         f"({generator.size}px, {generator.n_latent}x{generator.style_dim}); features: {settings['features']}; "
         f"device {dev}")
    run.start = time.time()
    log = StepLog(out / "train.log", batch_size, run.start, run.step)
    last_save, record = run.start, {}
    while time.time() - run.start < seconds and (max_steps is None or run.step < max_steps):
        set_learning_rate(run, lr, horizon)
        loss, terms = losses(run, *sample_targets(run, batch_size, mix_prob, seed))
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        run.optimizer.step()
        run.step += 1
        log.add(loss, terms)
        if run.step % log_every == 0 or time.time() - run.start >= seconds or run.step == max_steps:
            record = log.record(run, echo)
        if time.time() - last_save >= save_every:
            save_run(run, out, generator_spec, install)
            last_save = time.time()
    save_run(run, out, generator_spec, install)
    echo(f"saved {out / 'encoder.pt'} ({(out / 'encoder.pt').stat().st_size / 2**20:.1f} MiB) "
         f"and {out / 'state'} at step {run.step}")
    return record


if __name__ == "__main__":
    from latentroom.plugins.inverters.commands import train_encoder_command

    train_encoder_command()
