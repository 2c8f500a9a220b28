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


def _fast_generator(generator: Any) -> None:
    """On CUDA, evaluate our StyleGAN2's modulated convs by input modulation (same
    maths, one ordinary conv per layer instead of a grouped one: faster at batch 64)."""
    for module in getattr(generator, "modules", lambda: [])():
        if type(module).__name__ == "ModulatedConv2d" and hasattr(module, "fused"):
            module.fused = False


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


def train(generator_spec: str | None, out: str | Path, seconds: float, seed: int = 0,
          resume: str | Path | None = None, batch_size: int = 64, lr: float = 1e-3,
          delta_weight: float = 0.1, latent_weight: float = 1.0, pixel_weight: float = 1.0,
          feature_weight: float = 1.0, mix_prob: float = 0.5, features: str = "auto",
          device: str = "auto", log_every: int = 50, save_every: float = 120.0,
          max_steps: int | None = None, widths: tuple[int, ...] | None = None,
          total_seconds: float | None = None, install: bool = False,
          echo: Any = print) -> dict[str, Any]:
    """Train (or continue training) an encoder; returns the last log record."""
    import torch

    from latentroom.engine.errors import LatentroomError
    from latentroom.engine.plugins import resolve_generator
    from latentroom.plugins.inverters.common import w_statistics
    from latentroom.plugins.inverters.encoder import DEFAULT_WIDTHS, Encoder, count_parameters, default_weights_path, save_encoder
    from latentroom.plugins.inverters.features import load_feature_net, perceptual_distance, describe

    device = pick_torch_device(device)
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    generator = resolve_generator(generator_spec, device)
    if hasattr(generator, "requires_grad_"):  # G is frozen: gradients flow through it, not into it
        generator.requires_grad_(False)
    if hasattr(generator, "eval"):
        generator.eval()
    if dev.type == "cuda":
        _fast_generator(generator)
    n_latent, style_dim = int(generator.n_latent), int(generator.style_dim)

    # -- state: fresh, or from --resume (full state, else the inference weights)
    state = None
    if resume is not None:
        resume = Path(resume)
        state = load_sharded(resume / "state")
        if state is None and not (resume / "encoder.pt").is_file():
            raise LatentroomError(f"{resume}: nothing to resume from (no state/meta.json or encoder.pt)")
    config = state[1]["config"] if state else None
    if config is None and resume is not None and state is None:
        from latentroom.plugins.inverters.encoder import read_encoder_file

        config = read_encoder_file(resume / "encoder.pt")["config"]
    model = Encoder(**config) if config else Encoder(n_latent, style_dim, widths=widths or DEFAULT_WIDTHS)
    if model.n_latent != n_latent or model.style_dim != style_dim:
        raise LatentroomError(f"{resume}: encoder shape does not fit generator {generator_spec}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
    step, elapsed_before = 0, 0.0
    if state is not None:
        tensors, meta = state
        model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
        opt_state = {"param_groups": meta["param_groups"], "state": {}}
        for name, value in tensors.items():
            if name.startswith("opt."):
                _, index, key = name.split(".", 2)
                opt_state["state"].setdefault(int(index), {})[key] = value
        optimizer.load_state_dict(opt_state)
        step, elapsed_before = int(meta["step"]), float(meta["elapsed"])
        echo(f"resumed from {resume}/state at step {step} ({elapsed_before:.0f} s trained)")
    elif resume is not None:
        from latentroom.plugins.inverters.encoder import load_encoder

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
    feature_net = load_feature_net(features, dev, generator) if feature_weight > 0 else None
    # The schedule spans everything trained so far plus this run unless told otherwise,
    # so a single run ends at a low learning rate.
    horizon = float(total_seconds) if total_seconds else elapsed_before + float(seconds)
    amp = dev.type == "cuda"
    settings = {"batch_size": batch_size, "lr": lr, "delta_weight": delta_weight, "latent_weight": latent_weight,
                "pixel_weight": pixel_weight, "feature_weight": feature_weight, "mix_prob": mix_prob,
                "features": describe(features, feature_net), "seed": seed, "generator": generator_spec}
    echo(f"encoder: {count_parameters(model) / 1e6:.2f} M parameters; generator {generator_spec} "
         f"({generator.size}px, {n_latent}x{style_dim}); features: {settings['features']}; device {dev}")
    log_path = out / "train.log"

    def save() -> None:
        tensors = {f"model.{k}": v.float() if v.is_floating_point() else v for k, v in model.state_dict().items()}
        opt = optimizer.state_dict()
        for index, entries in opt["state"].items():
            for key, value in entries.items():
                value = value if torch.is_tensor(value) else torch.tensor(value)
                if value.is_floating_point() and value.numel() > 1:
                    # Adam moments in bf16: half the bytes to carry between machines;
                    # Adam casts them back to fp32 on load and only their scale matters.
                    value = value.to(torch.bfloat16)
                tensors[f"opt.{index}.{key}"] = value
        meta = {"step": step, "elapsed": elapsed_before + (time.time() - start), "config": model.config,
                "param_groups": opt["param_groups"], "settings": settings}
        save_sharded(tensors, out / "state", meta, tag=f"{step:09d}")
        train_info = {"steps": step, "seconds": round(meta["elapsed"], 1), **settings}
        path = save_encoder(model, out / "encoder.pt", generator_sha256=getattr(generator, "weights_sha256", None),
                            generator_spec=generator_spec, train=train_info)
        if install:
            atomic_write_bytes(default_weights_path(getattr(generator, "weights_sha256", None)), path.read_bytes())

    start = time.time()
    last_save, last_log_t, last_log_step = start, start, step
    record: dict[str, Any] = {}
    sums: dict[str, Any] = {}
    while True:
        now = time.time()
        if now - start >= seconds or (max_steps is not None and step >= max_steps):
            break
        t = min(1.0, (elapsed_before + now - start) / max(horizon, 1e-9))
        warm = min(1.0, (step + 1) / 200)
        for group in optimizer.param_groups:
            group["lr"] = lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))
        gen = torch.Generator(device=dev).manual_seed(seed * 1_000_003 + step)
        with torch.no_grad(), torch.autocast(dev.type, torch.bfloat16, enabled=amp):
            z = torch.randn(2 * batch_size, style_dim, generator=gen, device=dev)
            w = generator.mapping(z).float()
            ws_t = mixed_targets(w[:batch_size], w[batch_size:], n_latent, mix_prob, gen)
            x = generator.synthesis(ws_t, noise_mode="random").float().clamp(-1, 1)
        if dev.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(dev.type, torch.bfloat16, enabled=amp):
            ws_p, deltas = model(x)
            latent = ((ws_p - ws_t) / model.w_std).pow(2).mean()
            delta_reg = deltas.pow(2).mean()
            loss = latent_weight * latent + delta_weight * delta_reg
            terms = {"latent": latent, "delta": delta_reg}
            if pixel_weight > 0 or (feature_net is not None and feature_weight > 0):
                rec = generator.synthesis(ws_p, noise_mode="const").float()
                pix = (rec - x).pow(2).mean()
                loss = loss + pixel_weight * pix
                terms["pixel"] = pix
                if feature_net is not None and feature_weight > 0:
                    feat = perceptual_distance(feature_net, rec, x).mean()
                    loss = loss + feature_weight * feat
                    terms["feature"] = feat
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        for key, value in {"loss": loss, **terms}.items():
            # Summed on the device, read only when logging: float() here would make the
            # CPU wait for the GPU every step.
            sums[key] = sums.get(key, 0.0) + value.detach().float()
        if step % log_every == 0 or time.time() - start >= seconds or step == max_steps:
            now = time.time()
            n = step - last_log_step
            record = {"step": step, "elapsed": round(elapsed_before + now - start, 1),
                      "lr": optimizer.param_groups[0]["lr"],
                      "images_per_s": round(n * batch_size / max(now - last_log_t, 1e-9), 1),
                      **{k: round(float(v) / max(n, 1), 5) for k, v in sums.items()}}
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            echo(json.dumps(record))
            sums, last_log_t, last_log_step = {}, now, step
        if time.time() - last_save >= save_every:
            save()
            last_save = time.time()
    save()
    echo(f"saved {out / 'encoder.pt'} ({(out / 'encoder.pt').stat().st_size / 2**20:.1f} MiB) "
         f"and {out / 'state'} at step {step}")
    return record


if __name__ == "__main__":
    from latentroom.plugins.inverters.commands import train_encoder_command

    train_encoder_command()
