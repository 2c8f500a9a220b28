"""Train our StyleGAN2 on toyfaces renders.

Non-saturating logistic loss, lazy R1 on reals, style mixing, optional lazy
path-length regularisation, an EMA generator and bf16 autocast. Training stops after
``--seconds`` and saves a checkpoint, so a run is a series of resumed calls that each
fit the device tool's 10-minute limit: the checkpoint is written both to
``--state-dir`` (kept while the machine stays warm) and to ``--out`` (shards under
16 MiB, the most a file the tool brings back may hold), and ``--resume`` takes
whichever of the two is further along.

Adam's moments are not checkpointed (they would double what must travel); with
beta1 = 0 only the second moment is lost, and it re-estimates within ~100 steps.
``--compact-dir`` also writes a compact checkpoint (g_ema and D in fp16, about a
third of the full one) for when the full one is too big to carry to the next
machine; resuming from it starts G from g_ema.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click
import numpy as np

from latentroom.engine.atomic import atomic_write, atomic_write_text

if TYPE_CHECKING:
    import torch

SHARD_BYTES = 15 * 2**20
# What a compact checkpoint keeps: G is dropped and restarts from its running average.
COMPACT_NETS = ("g_ema", "d")

DEFAULT_CONFIG: dict[str, Any] = {
    "size": 128,
    "style_dim": 256,
    "n_mlp": 8,
    "channel_multiplier": 1,
    "channel_cap": 160,
}


def _render_chunk(args: tuple[int, int, int]) -> np.ndarray:
    from latentroom.plugins.toyfaces.renderer import render, sample_params

    seed, n, size = args
    return render(sample_params(seed, n), size=size)


def render_dataset(n: int, seed: int, size: int, workers: int, chunk: int = 1000) -> np.ndarray:
    """``n`` renders as uint8 ``[n, H, W, 3]``; chunk ``i`` uses seed ``seed * 100003 + i``,
    so the dataset is the same whatever the number of workers."""
    jobs = [(seed * 100003 + i, min(chunk, n - i * chunk), size) for i in range(math.ceil(n / chunk))]
    with mp.get_context("fork").Pool(workers) as pool:
        parts = pool.map(_render_chunk, jobs)
    return np.concatenate(parts)


# ---------------------------------------------------------------- checkpoints


def save_state(state: dict[str, dict], meta: dict[str, Any], directory: Path,
               dtype: "torch.dtype | None" = None) -> None:
    """Write named state dicts as shards of at most SHARD_BYTES plus ``meta.json``,
    floating-point tensors cast to ``dtype`` when given.

    New shards carry the step in their names, so they never overwrite the shards the
    current ``meta.json`` lists; ``meta.json`` is renamed into place after them and the
    old shards are deleted last. A crash at any point leaves a whole checkpoint.
    """
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    shards: list[dict[str, Any]] = [{}]
    size = 0
    for net, sd in state.items():
        for key, tensor in sd.items():
            tensor = tensor.detach().cpu()
            if dtype is not None and tensor.is_floating_point():
                tensor = tensor.to(dtype)
            nbytes = tensor.numel() * tensor.element_size()
            if size + nbytes > SHARD_BYTES and shards[-1]:
                shards.append({})
                size = 0
            shards[-1][f"{net}/{key}"] = tensor.contiguous()
            size += nbytes
    names = []
    for i, shard in enumerate(shards):
        name = f"shard-{meta['step']:07d}-{i:02d}.pt"
        atomic_write(directory / name, lambda f, s=shard: torch.save(s, f))
        names.append(name)
    atomic_write_text(directory / "meta.json", json.dumps({**meta, "shards": names}, indent=1))
    for stale in directory.glob("shard-*.pt"):
        if stale.name not in names:
            stale.unlink()


def save_compact_state(state: dict[str, dict], meta: dict[str, Any], directory: Path) -> None:
    """Keep only COMPACT_NETS, in fp16: what must travel when the full checkpoint
    (fp32 G, D and g_ema) is too big to carry to a fresh machine."""
    import torch

    save_state({net: state[net] for net in COMPACT_NETS}, {**meta, "compact": True}, directory,
               dtype=torch.float16)


def load_state(directory: Path) -> tuple[dict[str, dict], dict[str, Any]] | None:
    import torch

    meta_path = directory / "meta.json"
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text())
    state: dict[str, dict] = {}
    for name in meta["shards"]:
        for flat, tensor in torch.load(directory / name, weights_only=True, map_location="cpu").items():
            net, key = flat.split("/", 1)
            state.setdefault(net, {})[key] = tensor
    return state, meta


# ---------------------------------------------------------------- training


def _mixed_ws(g, batch: int, mixing: float, device) -> "torch.Tensor":
    """W+ latents with style mixing: with probability ``mixing`` the layers from a
    random crossover on take a second latent, which keeps layers from depending on
    each other and makes layer-restricted edits meaningful."""
    import torch

    w1 = g.mapping(torch.randn(batch, g.style_dim, device=device))
    ws = w1.unsqueeze(1).repeat(1, g.n_latent, 1)
    if mixing > 0:
        w2 = g.mapping(torch.randn(batch, g.style_dim, device=device))
        cross = torch.randint(1, g.n_latent, (batch, 1, 1), device=device)
        use_second = (torch.arange(g.n_latent, device=device).view(1, -1, 1) >= cross)
        use_second &= (torch.rand(batch, 1, 1, device=device) < mixing)
        ws = torch.where(use_second, w2.unsqueeze(1), ws)
    return ws


def path_length_penalty(synthesis, ws: "torch.Tensor", pl_mean: "torch.Tensor", decay: float = 0.01,
                        ) -> tuple["torch.Tensor", "torch.Tensor"]:
    """StyleGAN2's path-length regulariser (Karras et al. 2020, sec. 3.2).

    The path length of each sample is ``|J^T y|`` for the synthesis Jacobian ``J``
    with respect to its W+ latent and a random image-space direction ``y`` (scaled by
    ``1 / sqrt(H * W)``), the per-layer squared norms averaged over layers. The
    penalty is the squared deviation from a running mean of those lengths: a fixed
    step in W should change the image by the same amount wherever it is taken and
    whichever way it points, which makes W smoother and its directions more uniform.
    ``ws`` must be part of the autograd graph. Returns ``(penalty, updated pl_mean)``.
    """
    import torch

    images = synthesis(ws)
    noise = torch.randn_like(images) / math.sqrt(images.shape[2] * images.shape[3])
    (grad,) = torch.autograd.grad((images * noise).sum(), ws, create_graph=True)
    lengths = grad.pow(2).sum(2).mean(1).sqrt()
    pl_mean = pl_mean.lerp(lengths.mean().detach(), decay)
    return (lengths - pl_mean).pow(2).mean(), pl_mean


@dataclass
class GanSettings:
    """Everything :func:`train` takes that shapes the training (recorded in checkpoints)."""

    seed: int
    batch: int
    lr: float
    r1_gamma: float
    r1_every: int
    mixing: float
    ema_kimg: float
    dataset_size: int
    pl_weight: float
    pl_every: int
    precision: str
    compile: bool


@dataclass
class GanRun:
    """The networks, optimisers and counters of one run."""

    cfg: dict[str, Any]
    dev: "torch.device"
    g: Any
    d: Any
    g_ema: Any
    g_opt: Any
    d_opt: Any
    step: int
    seen: int
    pl_mean: "torch.Tensor"
    synthesize: Callable[..., Any]
    d_main: Callable[..., Any]
    data: "torch.Tensor | None" = None
    amp: bool = False

    def real_batch(self, batch: int) -> "torch.Tensor":
        import torch

        idx = torch.randint(0, self.data.shape[0], (batch,), device=self.dev)
        return self.data[idx].float() / 127.5 - 1

    def autocast(self) -> Any:
        import torch

        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp)


def appending_log(out: Path, emit: Callable[[str], None]) -> Callable[[str], None]:
    """``emit`` each message and append it to ``out/train.log``."""
    log_path = out / "train.log"

    def log(message: str) -> None:
        emit(message)
        with open(log_path, "a") as fh:
            fh.write(message + "\n")

    return log


def furthest_checkpoint(resume: list[Path]) -> tuple[dict[str, dict], dict[str, Any]] | None:
    """The furthest along of the checkpoints found; at the same step a full checkpoint
    beats a compact one."""
    candidates = [s for s in (load_state(p) for p in resume) if s is not None]
    return max(candidates, key=lambda s: (s[1]["step"], "g" in s[0])) if candidates else None


def build_run(loaded: tuple[dict[str, dict], dict[str, Any]] | None, config: dict[str, Any] | None,
              s: GanSettings, dev: "torch.device", log: Callable[[str], None]) -> GanRun:
    """G, D and g_ema, fresh (seeded) or from ``loaded``; G on input modulation; the
    lazily regularised optimisers; compiled copies when asked."""
    import torch

    from latentroom.plugins.stylegan2.model import Discriminator, Generator, ModulatedConv2d

    cfg = dict(loaded[1]["config"]) if loaded else dict(config or DEFAULT_CONFIG)
    step = loaded[1]["step"] if loaded else 0
    seen = loaded[1]["images_seen"] if loaded else 0
    pl_mean = torch.tensor(float(loaded[1].get("pl_mean", 0.0) if loaded else 0.0), device=dev)
    torch.manual_seed(s.seed * 7919 + step)
    g = Generator(cfg["size"], cfg["style_dim"], cfg["n_mlp"], cfg["channel_multiplier"], cfg["channel_cap"]).to(dev)
    d = Discriminator(cfg["size"], cfg["channel_multiplier"], cfg["channel_cap"]).to(dev)
    g_ema = Generator(cfg["size"], cfg["style_dim"], cfg["n_mlp"], cfg["channel_multiplier"], cfg["channel_cap"]).to(dev)
    if loaded:
        g.load_state_dict(loaded[0].get("g", loaded[0]["g_ema"]))
        d.load_state_dict(loaded[0]["d"])
        g_ema.load_state_dict(loaded[0]["g_ema"])
        log(f"resumed at step {step} ({seen / 1000:.0f} kimg)" + ("" if "g" in loaded[0] else
                                                                  " from a compact checkpoint: G starts as g_ema"))
    else:
        g_ema.load_state_dict(g.state_dict())
    g_ema.eval().requires_grad_(False)
    # Input modulation (one ordinary conv per layer, same maths) instead of the
    # per-sample grouped conv: measured 340 img/s with grouped convs on an H200.
    for module in g.modules():
        if isinstance(module, ModulatedConv2d):
            module.fused = False
    # Lazy regularisation: D's R1 step runs every r1_every steps (G's path-length step
    # every pl_every), so their optimisers' hyper-parameters are rescaled to keep the
    # effective schedule (StyleGAN2, App. B).
    ratio = s.r1_every / (s.r1_every + 1)
    g_ratio = s.pl_every / (s.pl_every + 1) if s.pl_weight > 0 else 1.0
    g_opt = torch.optim.Adam(g.parameters(), lr=s.lr * g_ratio, betas=(0.0, 0.99 ** g_ratio))
    d_opt = torch.optim.Adam(d.parameters(), lr=s.lr * ratio, betas=(0.0, 0.99 ** ratio))
    # Compiled copies share parameters with g and d. R1 keeps the eager d: compiled
    # graphs do not support the double backward a gradient penalty needs.
    synthesize = torch.compile(g.synthesis) if s.compile else g.synthesis
    d_main = torch.compile(d) if s.compile else d
    return GanRun(cfg, dev, g, d, g_ema, g_opt, d_opt, step, seen, pl_mean, synthesize, d_main,
                  amp=s.precision == "bf16" and dev.type == "cuda")


def load_dataset(run: GanRun, s: GanSettings, workers: int | None, log: Callable[[str], None]) -> None:
    """Render the training set (seeded) onto the device as uint8 NCHW."""
    import torch

    log(f"rendering {s.dataset_size} training images (seed {s.seed})")
    t0 = time.time()
    data_np = render_dataset(s.dataset_size, s.seed, run.cfg["size"], workers or os.cpu_count() or 1)
    run.data = torch.from_numpy(data_np).to(run.dev).permute(0, 3, 1, 2).contiguous()
    log(f"rendered in {time.time() - t0:.1f}s")


def discriminator_step(run: GanRun, s: GanSettings) -> "torch.Tensor":
    """Non-saturating logistic loss on a real and a fake batch; returns D's loss."""
    import torch
    import torch.nn.functional as F

    run.g.requires_grad_(False)
    run.d.requires_grad_(True)
    real = run.real_batch(s.batch)
    with torch.no_grad(), run.autocast():
        fake = run.synthesize(_mixed_ws(run.g, s.batch, s.mixing, run.dev), noise_mode="random")
    with run.autocast():
        d_loss = F.softplus(run.d_main(fake.float())).mean() + F.softplus(-run.d_main(real)).mean()
    run.d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    run.d_opt.step()
    return d_loss


def r1_step(run: GanRun, s: GanSettings) -> "torch.Tensor":
    """Lazy R1 penalty on reals, in fp32: the gradient penalty is a second-order
    quantity and bf16 noise swamps it. Returns the penalty."""
    import torch

    real = run.real_batch(s.batch).requires_grad_(True)
    logits = run.d(real)
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    r1 = grad.pow(2).flatten(1).sum(1).mean()
    run.d_opt.zero_grad(set_to_none=True)
    (s.r1_gamma / 2 * r1 * s.r1_every + 0 * logits[0, 0]).backward()
    run.d_opt.step()
    return r1


def generator_step(run: GanRun, s: GanSettings) -> "torch.Tensor":
    import torch.nn.functional as F

    run.g.requires_grad_(True)
    run.d.requires_grad_(False)
    with run.autocast():
        fake = run.synthesize(_mixed_ws(run.g, s.batch, s.mixing, run.dev), noise_mode="random")
        g_loss = F.softplus(-run.d_main(fake)).mean()
    run.g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    run.g_opt.step()
    return g_loss


def path_length_step(run: GanRun, s: GanSettings) -> "torch.Tensor":
    """Lazy path-length step: fp32 and eager, as R1 (a second-order term); half the
    batch, as in StyleGAN2. Updates the running mean; returns the penalty."""
    ws = _mixed_ws(run.g, max(1, s.batch // 2), s.mixing, run.dev)
    pl, run.pl_mean = path_length_penalty(lambda w: run.g.synthesis(w, noise_mode="random"), ws, run.pl_mean)
    run.g_opt.zero_grad(set_to_none=True)
    (s.pl_weight * s.pl_every * pl).backward()
    run.g_opt.step()
    return pl


def ema_update(run: GanRun, s: GanSettings) -> None:
    """g_ema toward G, the decay ramped so early (rapidly changing) weights are not
    averaged too long."""
    import torch

    ema_beta = 0.5 ** (s.batch / (s.ema_kimg * 1000))
    ramped = run.seen < s.ema_kimg * 1000 / 0.05
    beta = min(ema_beta, 0.5 ** (s.batch / max(run.seen * 0.05, 1e-8))) if ramped else ema_beta
    with torch.no_grad():
        torch._foreach_lerp_(list(run.g_ema.parameters()), list(run.g.parameters()), 1 - beta)


def save_checkpoints(run: GanRun, s: GanSettings, targets: list[Path], compact_dir: Path | None,
                     samples_png: Path, fixed_z: "torch.Tensor") -> None:
    """Full checkpoints to ``targets``, a compact one to ``compact_dir``, and g_ema's
    sample grid for ``fixed_z``."""
    import torch

    from latentroom.engine.image_output import images_to_grid, write_image_atomic

    dev = run.dev
    meta = {"step": run.step, "images_seen": run.seen, "config": run.cfg, "seed": s.seed, "batch": s.batch,
            "lr": s.lr, "r1_gamma": s.r1_gamma, "pl_weight": s.pl_weight, "pl_every": s.pl_every,
            "pl_mean": float(run.pl_mean), "mixing": s.mixing, "ema_kimg": s.ema_kimg,
            "dataset_size": s.dataset_size, "precision": s.precision, "compile": s.compile,
            "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"}
    state = {"g": run.g.state_dict(), "d": run.d.state_dict(), "g_ema": run.g_ema.state_dict()}
    for target in targets:
        save_state(state, meta, target)
    if compact_dir is not None:
        save_compact_state(state, meta, compact_dir)
    with torch.no_grad():
        samples = run.g_ema.synthesis(run.g_ema.mapping(fixed_z), noise_mode="const")
    write_image_atomic(images_to_grid(samples, nrow=8), samples_png)


def train(out: Path, state_dir: Path | None, resume: list[Path], seconds: float, *, seed: int = 0,
          batch: int = 64, lr: float = 0.0025, r1_gamma: float = 0.2, r1_every: int = 16,
          mixing: float = 0.9, ema_kimg: float = 10.0, dataset_size: int = 100_000,
          pl_weight: float = 0.0, pl_every: int = 4,
          precision: str = "bf16", device: str = "auto", workers: int | None = None,
          checkpoint_every: float = 120.0, config: dict[str, Any] | None = None,
          compact_dir: Path | None = None,
          compile: bool = False, max_steps: int | None = None, log=print) -> dict[str, Any]:
    """Train (or resume) for ``seconds`` or to ``max_steps``; checkpoint, export g_ema
    and return ``{step, images_seen, pl_mean}``."""
    import torch

    from latentroom.engine.devices import pick_torch_device

    started = time.time()
    out.mkdir(parents=True, exist_ok=True)
    log = appending_log(out, log)
    s = GanSettings(seed, batch, lr, r1_gamma, r1_every, mixing, ema_kimg, dataset_size, pl_weight, pl_every,
                    precision, compile)
    dev = torch.device(pick_torch_device(device))
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    run = build_run(furthest_checkpoint(resume), config, s, dev, log)
    load_dataset(run, s, workers, log)
    fixed_z = torch.randn(32, run.cfg["style_dim"], generator=torch.Generator().manual_seed(seed)).to(dev)
    targets = [p for p in (state_dir, out / "ckpt") if p is not None]
    last_ckpt = time.time()
    t_log, seen_log = time.time(), run.seen
    r1 = torch.zeros((), device=dev)  # a resumed run may log before its first R1 step
    pl = torch.zeros((), device=dev)
    while time.time() - started < seconds and (max_steps is None or run.step < max_steps):
        d_loss = discriminator_step(run, s)
        if run.step % r1_every == 0:
            r1 = r1_step(run, s)
        g_loss = generator_step(run, s)
        if pl_weight > 0 and run.step % pl_every == 0:
            pl = path_length_step(run, s)
        ema_update(run, s)
        run.step += 1
        run.seen += batch
        if run.step % 200 == 0:
            rate = (run.seen - seen_log) / (time.time() - t_log)
            t_log, seen_log = time.time(), run.seen
            log(f"step {run.step} kimg {run.seen / 1000:.1f} d_loss {d_loss.item():.3f} g_loss {g_loss.item():.3f} "
                f"r1 {r1.item():.3f}" + (f" pl {pl.item():.4f} pl_mean {run.pl_mean.item():.4f}" if pl_weight > 0
                                          else "") + f" img/s {rate:.0f}")
        if time.time() - last_ckpt > checkpoint_every:
            save_checkpoints(run, s, targets, compact_dir, out / "samples.png", fixed_z)
            last_ckpt = time.time()

    save_checkpoints(run, s, targets, compact_dir, out / "samples.png", fixed_z)
    export_g_ema(run.g_ema, out / "toyfaces_g_ema.pt", seed=seed)
    log(f"stopped at step {run.step} ({run.seen / 1000:.0f} kimg) after {time.time() - started:.0f}s")
    return {"step": run.step, "images_seen": run.seen, "pl_mean": float(run.pl_mean)}


def export_g_ema(g_ema, path: Path, seed: int = 0, n_mean: int = 10_000) -> None:
    """Write the shippable generator: community layout ``{g_ema, latent_avg, config}``,
    weights in fp16 (they are used in fp32; storage alone is halved)."""
    import torch

    with torch.no_grad():
        z = torch.randn(n_mean, g_ema.style_dim, generator=torch.Generator().manual_seed(seed)).to(g_ema.device)
        latent_avg = g_ema.mapping(z).float().mean(0).cpu()
    sd = {k: (v.half() if v.is_floating_point() else v).cpu() for k, v in g_ema.state_dict().items()}
    atomic_write(path, lambda f: torch.save({"g_ema": sd, "latent_avg": latent_avg, "config": g_ema.config}, f))


@click.command("train-gan")
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True,
              help="Folder for the log, the sample grid, checkpoint shards and the exported g_ema.")
@click.option("--state-dir", type=click.Path(path_type=Path), default=None,
              help="Extra folder to checkpoint to (e.g. local disk that outlives --out).")
@click.option("--compact-dir", type=click.Path(path_type=Path), default=None,
              help="Also write a compact checkpoint here (g_ema and D in fp16; resuming from it starts G "
                   "from g_ema), for when the full one is too big to carry.")
@click.option("--resume", "resume", multiple=True, type=click.Path(path_type=Path),
              help="Checkpoint folder(s) to resume from; the one furthest along wins.")
@click.option("--seconds", type=float, default=540.0, show_default=True, help="Stop and save after this long.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--batch", type=int, default=64, show_default=True)
@click.option("--lr", type=float, default=0.0025, show_default=True)
@click.option("--r1-gamma", type=float, default=0.2, show_default=True)
@click.option("--pl-weight", type=float, default=0.0, show_default=True,
              help="Path-length regularisation weight (StyleGAN2 uses 2; the shipped generator was trained "
                   "without).")
@click.option("--pl-every", type=int, default=4, show_default=True, help="Lazy path-length step every N steps.")
@click.option("--dataset-size", type=int, default=100_000, show_default=True)
@click.option("--precision", type=click.Choice(["bf16", "fp32"]), default="bf16", show_default=True)
@click.option("--compile/--no-compile", "compile_", default=False, show_default=True,
              help="torch.compile G's synthesis and D for the main losses (fuses the blur and activations).")
@click.option("--max-steps", type=int, default=None, help="Also stop at this total step count.")
@click.option("--device", default="auto", show_default=True)
def train_gan_command(out: Path, state_dir: Path | None, compact_dir: Path | None, resume: tuple[Path, ...],
                      seconds: float, seed: int,
                      batch: int, lr: float, r1_gamma: float, pl_weight: float, pl_every: int,
                      dataset_size: int, precision: str,
                      compile_: bool, max_steps: int | None, device: str) -> None:
    """Train the toyfaces StyleGAN2 on renders (resumable; CUDA when present)."""
    train(out, state_dir, list(resume) + ([state_dir] if state_dir else []), seconds, seed=seed, batch=batch,
          lr=lr, r1_gamma=r1_gamma, pl_weight=pl_weight, pl_every=pl_every, dataset_size=dataset_size,
          precision=precision, device=device, compile=compile_, max_steps=max_steps, compact_dir=compact_dir,
          log=lambda m: click.echo(m, err=True))


if __name__ == "__main__":
    train_gan_command()
