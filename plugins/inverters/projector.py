"""Optimisation-based inversion (after StyleGAN2's projector), batched.

For each image, find ``w`` (one vector, ``space="w"``) or W+ (one per layer,
``space="w+"``) and the per-layer noise maps that make the generator reproduce it:

* start from the mean latent (or an initial estimate, for ``hybrid``);
* minimise ``pixel_weight * pixel(G(w), x) + feature_weight * perceptual(G(w), x)
  + noise_regularize * noise_autocorrelation`` with Adam;
* learning rate: cosine ramp-down over the last ``lr_rampdown`` of the steps and a
  linear ramp-up over the first ``lr_rampup``;
* Gaussian noise added to the latent early on (decaying quadratically to zero at
  ``noise_ramp`` of the steps) so the search does not settle in the first basin;
* noise maps are re-normalised to zero mean / unit variance after every step, and
  their autocorrelation at every scale is penalised, so they cannot smuggle the
  image's structure in (that would fit the image but leave nothing for edits).

In W+, the latent is a shared base (moved from step 0, as in W) plus per-layer
offsets that start moving at ``offset_start`` of the steps and at ``offset_lr_mul``
of the learning rate. Optimising all layers freely from the start stalls in poor
minima (on a small test generator, W+ reached 20-27 dB where W reached 35-50 dB);
coarse-to-fine reaches W's quality and then improves on it, and keeps W+ close to
W, which is what keeps edits working.

Noise maps start from the generator's stored (``const``) maps and learn at
``noise_lr_mul`` (0.1) of the latent rate: at the full rate they soak up the latent's
early error and stay wrong (on the test generator: 31-36 dB instead of 33-42 dB).

Latents are optimised in units of W's per-dimension spread (``u = (w - mean) / std``)
so that one learning rate suits generators whose W has any scale.

Every image is independent: losses are summed over the batch (not averaged) and
Adam works per element, so an image's result does not depend on its batch-mates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Callable

import torch
from torch.nn import functional as F

from latentroom.engine.errors import LatentroomError
from latentroom.plugins.inverters.common import (differentiable_synthesis_generator, initial_noise, supports_noise,
                                                 synthesize, to_generator_input, w_statistics)
from latentroom.plugins.inverters.features import describe, feature_distance, load_feature_net


@dataclass
class ProjectorConfig:
    """Projector options (all may be passed to the ``projector`` factory by name)."""

    space: str = "w+"  # "w" or "w+"
    steps: int = 300
    lr: float = 0.1  # in units of W's per-dimension std
    lr_rampup: float = 0.05  # fraction of steps
    lr_rampdown: float = 0.25  # fraction of steps
    initial_noise_factor: float = 0.05  # latent noise, x sqrt(style_dim) std-units
    noise_ramp: float = 0.75  # fraction of steps over which latent noise decays
    offset_lr_mul: float = 0.3  # W+ per-layer offsets learn this much slower than the base
    offset_start: float = 0.5  # fraction of steps before the W+ offsets start to move
    optimize_noise: bool = True
    noise_start: float = 0.0  # fraction of steps before the noise maps start to move
    noise_lr_mul: float = 0.1  # noise maps start from the stored ones; fast moves let them absorb latent error
    noise_regularize: float = 1e5
    pixel_loss: str = "mse"  # "mse" or "l1"
    pixel_weight: float = 1.0
    feature_weight: float = 1.0
    features: Any = "auto"  # see plugins.inverters.features
    amp: bool | None = None  # bf16 autocast; None = on for CUDA
    seed: int = 0

    def validate(self) -> None:
        if self.space not in ("w", "w+"):
            raise LatentroomError(f"projector: space must be 'w' or 'w+', got {self.space!r}")
        if self.pixel_loss not in ("mse", "l1"):
            raise LatentroomError(f"projector: pixel_loss must be 'mse' or 'l1', got {self.pixel_loss!r}")
        if int(self.steps) < 0:
            raise LatentroomError(f"projector: steps must be >= 0, got {self.steps}")


OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ProjectorConfig))


def noise_regularization(noises: list[torch.Tensor]) -> torch.Tensor:
    """Per-image ``[B]`` multi-scale autocorrelation penalty of the noise maps:
    squared mean product with the one-pixel-shifted map (both axes), on a pyramid
    down to 8x8. White noise scores ~0; structure scores high."""
    total = noises[0].new_zeros(noises[0].shape[0])
    for noise in noises:
        while True:
            total = total + (noise * torch.roll(noise, shifts=1, dims=3)).mean(dim=(1, 2, 3)).pow(2)
            total = total + (noise * torch.roll(noise, shifts=1, dims=2)).mean(dim=(1, 2, 3)).pow(2)
            if noise.shape[2] <= 8:
                break
            noise = F.avg_pool2d(noise, kernel_size=2)
    return total


def normalize_noise_(noises: list[torch.Tensor]) -> None:
    """Per image and map: zero mean, unit std (in place, outside autograd)."""
    with torch.no_grad():
        for noise in noises:
            mean = noise.mean(dim=(1, 2, 3), keepdim=True)
            std = noise.std(dim=(1, 2, 3), keepdim=True).clamp_min(1e-8)
            noise.sub_(mean).div_(std)


def learning_rate(cfg: ProjectorConfig, t: float) -> float:
    """StyleGAN2's schedule: ``t`` in [0, 1] is the fraction of steps done."""
    ramp = min(1.0, (1.0 - t) / cfg.lr_rampdown) if cfg.lr_rampdown > 0 else 1.0
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    if cfg.lr_rampup > 0:
        ramp *= min(1.0, t / cfg.lr_rampup)
    return cfg.lr * ramp


class Projector:
    """Satisfies :class:`latentroom.engine.protocols.Inverter`; see the module docstring."""

    def __init__(self, generator: Any, device: str | torch.device = "cpu", **options: Any) -> None:
        from latentroom.plugins.inverters.common import check_options

        check_options("projector", options, OPTION_NAMES)
        self.config = ProjectorConfig(**options)
        self.config.validate()
        self.generator = generator
        self.device = torch.device(device)
        self.synthesis_generator = differentiable_synthesis_generator(generator, self.device)
        self.feature_net = load_feature_net(self.config.features, self.device, generator)
        self.features_used = describe(self.config.features, self.feature_net)
        self.w_mean, self.w_scale = w_statistics(generator, seed=self.config.seed)
        self.last_noise: list[torch.Tensor] | None = None
        self.last_loss: torch.Tensor | None = None
        self.on_step: Callable[[int, int], None] | None = None  # progress hook (step, steps)

    def _amp(self) -> bool:
        return self.device.type == "cuda" if self.config.amp is None else bool(self.config.amp)

    def invert(self, images: torch.Tensor, init: torch.Tensor | None = None) -> torch.Tensor:
        """Images ``[B, 3, H, W]`` in [-1, 1] -> W+ ``[B, n_latent, style_dim]``.

        ``init`` (W+ or W per image) replaces the mean latent as the starting point.
        """
        cfg, g = self.config, self.generator
        target = to_generator_input(images, g, self.device)
        batch, n_latent = target.shape[0], int(g.n_latent)
        layers = 1 if cfg.space == "w" else n_latent
        if init is None:
            u0 = torch.zeros(batch, layers, g.style_dim, device=self.device)
        else:
            init = init.to(self.device).float()
            if init.ndim == 2:
                init = init[:, None, :]
            if cfg.space == "w" and init.shape[1] != 1:
                init = init.mean(1, keepdim=True)  # W+ estimate -> its centre in W
            u0 = ((init - self.w_mean) / self.w_scale).expand(batch, layers, -1)
        # W+ is parametrised as a shared base plus per-layer offsets: the base gets the
        # coherent gradient of all layers (as in W, which converges much faster), the
        # offsets add the freedom W+ is for.
        base = u0.mean(1, keepdim=True).clone().requires_grad_(True)
        offsets = (u0 - base).detach().clone().requires_grad_(True)
        params: list[torch.Tensor] = [base] if cfg.space == "w" else [base, offsets]
        noise = None
        if cfg.optimize_noise and supports_noise(g):
            noise = [n.to(self.device).requires_grad_(True) for n in initial_noise(g, batch)]
            params += noise
        groups = [{"params": [base], "mul": 1.0}]
        if cfg.space == "w+":
            groups.append({"params": [offsets], "mul": cfg.offset_lr_mul, "start": cfg.offset_start})
        if noise is not None:
            groups.append({"params": noise, "mul": cfg.noise_lr_mul, "start": cfg.noise_start})
        optimizer = torch.optim.Adam(groups, lr=cfg.lr, betas=(0.9, 0.999))
        rng = torch.Generator(device=self.device).manual_seed(cfg.seed)
        steps = int(cfg.steps)
        with torch.no_grad(), torch.autocast(self.device.type, torch.bfloat16, enabled=self._amp()):
            target_feats = self.feature_net(target) if self.feature_net is not None else None
        per_image = torch.zeros(batch, device=self.device)
        for step in range(steps):
            t = step / max(steps, 1)
            for group in optimizer.param_groups:
                late = t < group.get("start", 0.0)
                group["lr"] = 0.0 if late else learning_rate(cfg, t) * group["mul"]
            ramp = max(0.0, 1.0 - t / cfg.noise_ramp) ** 2 if cfg.noise_ramp > 0 else 0.0
            latent_noise = cfg.initial_noise_factor * math.sqrt(g.style_dim) * ramp
            u = base + offsets if cfg.space == "w+" else base
            u_in = u
            if latent_noise > 0:
                # One draw shared by all layers: the exploration happens in W; independent
                # per-layer draws would scramble W+ offsets (measured: several dB worse).
                shake = torch.randn(base.shape, generator=rng, device=self.device)
                u_in = u + latent_noise * shake
            ws = (self.w_mean + u_in * self.w_scale).expand(batch, n_latent, -1)
            with torch.autocast(self.device.type, torch.bfloat16, enabled=self._amp()):
                synth = synthesize(self.synthesis_generator, ws, noise)
            per_image = self._loss(synth.float(), target, target_feats)
            if noise is not None and cfg.noise_regularize > 0:
                per_image = per_image + cfg.noise_regularize * noise_regularization(noise)
            # Gradients for our tensors only: the generator's parameters get none, so
            # inverting leaves the generator exactly as it was.
            grads = torch.autograd.grad(per_image.sum(), params)
            for p, grad in zip(params, grads):
                p.grad = grad
            optimizer.step()
            if noise is not None:
                normalize_noise_(noise)
            if self.on_step is not None:
                self.on_step(step + 1, steps)
        self.last_loss = per_image.detach()
        self.last_noise = [n.detach() for n in noise] if noise is not None else None
        with torch.no_grad():
            u = (base + offsets) if cfg.space == "w+" else base
            return (self.w_mean + u * self.w_scale).expand(batch, n_latent, -1).contiguous()

    def _loss(self, synth: torch.Tensor, target: torch.Tensor,
              target_feats: list[torch.Tensor] | None) -> torch.Tensor:
        cfg = self.config
        diff = synth - target
        pix = diff.pow(2) if cfg.pixel_loss == "mse" else diff.abs()
        loss = cfg.pixel_weight * pix.flatten(1).mean(1)
        if self.feature_net is not None and target_feats is not None and cfg.feature_weight > 0:
            with torch.autocast(self.device.type, torch.bfloat16, enabled=self._amp()):
                feats = self.feature_net(synth)
            # The target's features are computed once per invert() call, not per step.
            loss = loss + cfg.feature_weight * feature_distance(feats, target_feats)
        return loss

