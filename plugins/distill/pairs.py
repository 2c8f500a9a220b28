"""Training pairs from the teacher: ``x = G(w)``, ``y = G(w + s * scale * d on the
direction's layers)``, generated on the fly.

* ``w`` comes from the mapping network with truncation ``DEFAULT_TRUNCATION`` (0.9):
  the far tails of W give the GAN's worst, artefact-ridden images, and a student
  trained on them learns to reproduce artefacts; 0.9 trims only those while keeping
  almost all of the diversity real inputs have (at 0.7 the faces crowd towards the
  average and the student sees too little of the edges of the world it is applied to).
* The edit is :func:`latentroom.plugins.directions.edit.edit_latents`, i.e. ``Direction.offset``
  semantics: strength in data standard deviations (``scale``), only the direction's
  W+ layers move; a direction with a per-face correction adds each sample's own part,
  read through the inverter the correction was fitted through when it was (its
  latents of ``x``: an encoder's latents fill a shrunken part of W, and a correction
  fitted on them overshoots 2-3 times on a sample's own ``w``).
* ``x`` and ``y`` use the generator's stored (``const``) noise maps, so the pair
  differs only by the edit, not by re-drawn hair strands or skin texture.
* With a ``region`` mask ``[R, R]`` in 0-1 the target is ``x + region * (y - x)``:
  the edit is kept only where the attribute can show (a *local* teacher). An
  entangled direction also moves what the attribute does not own (glasses that
  shorten the hair, a beard that darkens the skin); those changes differ from face
  to face, so a student trained on them averages alternatives into a ghost. The
  region makes the target a consistent function of the input.
* With a ``gate`` (:class:`latentroom.plugins.distill.gate.PresenceGate`, binary
  attributes) each pair's change is also weighed by how much the input still lacks
  the edit's end state: a face that already wears glasses keeps its own pair.
* On CUDA the teacher runs through :class:`latentroom.plugins.stylegan2.fast.FastSynthesis`
  (bf16, channels-last, compiled, one CUDA graph per batch size) when the generator
  is a StyleGAN2 of this project: authoring throughput is bounded by the teacher.
* With ``pairs`` (:mod:`latentroom.plugins.distill.latent_pairs`, ``author
  --latent-pairs``) the latents are not sampled: each pair is one of the file's faces
  and its own recorded edit (the training and fit streams draw from all but the
  held-out faces, the held-out and calibration streams from those), so the teacher is
  each face's own offset instead of what the direction predicts of it; below the truth
  strength that edit is faded in on the image or drawn from a share of the offset
  (``partial_edit``), and where the file gives each face its own region the target
  keeps the edit only there (before the preset's region). The fit stream measures how
  well the student fits the faces it trained on, beside the held-out ones: a student no
  closer on the first underfits its teacher rather than overfits.
* Strengths are uniform over the preset's range, one per image.
* With a ``mouth`` finder (:mod:`latentroom.plugins.distill.mouth`, ``author
  --keep-mouth``) each target keeps the input's own lips, where the teacher redrew
  them with the edit (a beard): its redrawn lips filled in, the input's drawn over.
* With a ``jitter`` (:mod:`latentroom.plugins.distill.jitter`) each finished pair is
  moved, scaled and turned by one random similarity transform, the same for ``x`` and
  ``y``: the student then sees the edit wherever ``apply``'s face crop puts the face.
* Batch ``k`` of a stream is a pure function of ``(seed, stream, k)`` (a fresh
  seeded CPU generator per batch): a resumed run sees exactly the pairs it would have
  seen, and the held-out streams never overlap the training stream.
* :class:`PairPool` (``author --pool-size/--reuse``) keeps a ring of pairs on the
  device as 8-bit images and trains on random draws from it, refreshing ``1/reuse`` of
  a batch per step: the teacher (two syntheses per pair) then costs a ``reuse``-th
  per training pair, so the student's own step bounds authoring throughput. Its
  content at step ``t`` is also a pure function of ``t``, so resuming stays exact.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from latentroom.engine.direction import Direction
from latentroom.plugins.directions.edit import CorrectionReader, edit_latents, to_wplus
from latentroom.plugins.distill.grain import GrainJitter
from latentroom.plugins.distill.jitter import Jitter
from latentroom.plugins.distill.latent_pairs import LatentPairs, PairLatents
from latentroom.plugins.distill.mouth import MouthFinder, keep_mouth

DEFAULT_TRUNCATION = 0.9
# Streams of one seed: training batches, the held-out pairs, the calibration inputs,
# the pool's draws, and pairs of the training faces for measuring the fit.
TRAIN, HELD_OUT, CALIBRATION, POOL_DRAWS, FIT = 0, 1, 2, 3, 4


class PairSampler:
    """Teacher pairs for one generator and direction."""

    def __init__(self, generator: Any, direction: Direction, strength_range: tuple[float, float],
                 truncation: float = DEFAULT_TRUNCATION, seed: int = 0, amp: bool = False,
                 region: torch.Tensor | None = None, fast: bool = False, gate: Any = None,
                 pairs: LatentPairs | None = None, partial_edit: str = "fade",
                 jitter: Jitter | None = None, mouth: MouthFinder | None = None,
                 grain: GrainJitter | None = None) -> None:
        self.generator = generator
        self.direction = direction
        self.low, self.high = (float(v) for v in strength_range)
        self.truncation = float(truncation)
        self.seed = int(seed)
        self.device = torch.device(generator.device)
        # bf16 synthesis on CUDA: the teacher's images are targets rounded to 8 bits in
        # the end anyway, and it halves generation time.
        self.amp = amp and self.device.type == "cuda"
        self.region = None if region is None else region.to(self.device, torch.float32)[None, None]
        self.gate = gate
        self.read = CorrectionReader(generator, direction)
        self.pairs = (None if pairs is None
                      else PairLatents(pairs, direction.layers, self.device, partial_edit))
        self.jitter = jitter if jitter is not None and jitter.active else None
        self.grain = grain if grain is not None and grain.active else None
        self.mouth = mouth
        self.synthesize = self._fast_synthesis() if fast and self.device.type == "cuda" else self._synthesis

    def _synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.device.type, torch.bfloat16, enabled=self.amp):
            return self.generator.synthesis(ws, noise_mode="const").float()

    def _fast_synthesis(self) -> Any:
        from latentroom.plugins.stylegan2.fast import FastConfig, FastSynthesis
        from latentroom.plugins.stylegan2.model import Generator

        if not isinstance(self.generator, Generator):
            return self._synthesis
        fast = FastSynthesis(self.generator, FastConfig(dtype=torch.bfloat16, modconv="input", compile=True,
                                                        cuda_graphs=True))
        # The graph's output buffer is reused by the next replay: copy it out.
        return lambda ws: fast(ws).clone()

    def in_place(self) -> "PairSampler":
        """The same pairs without the jitter and grain that teach the student to
        take faces as apply's crops give them: the edit itself, on faces where the
        generator draws them (what the truth it is measured against shows)."""
        plain = copy.copy(self)
        plain.jitter = plain.grain = None
        return plain

    def _rng(self, stream: int, index: int) -> torch.Generator:
        return torch.Generator().manual_seed(((self.seed * 7919 + stream) * 1_000_003 + index) % (2**63))

    @torch.no_grad()
    def batch(self, batch_size: int, index: int, stream: int = TRAIN,
              strength: float | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(x, y, strength)``: images ``[B, 3, R, R]`` in ``[-1, 1]`` and strengths ``[B]``,
        on the generator's device; every pair at ``strength`` when given (the same ``x``)."""
        gen = self._rng(stream, index)
        if self.pairs is None:
            z = torch.randn(batch_size, self.generator.style_dim, generator=gen)
        else:
            faces = self.pairs.draw(batch_size, gen, held_out=stream in (HELD_OUT, CALIBRATION))
        s = self.low + (self.high - self.low) * torch.rand(batch_size, generator=gen)
        if strength is not None:
            s = torch.full_like(s, float(strength))
        s = s.to(self.device, non_blocking=True)
        if self.pairs is None:
            w = self.generator.mapping(z.to(self.device, non_blocking=True), truncation=self.truncation).float()
            x, y = self._pair(to_wplus(w, self.direction.n_latent), s)
        else:
            before, edited, opacity = self.pairs.latents(faces, s)
            x, y = self._both(before, edited)
            y = x + opacity.reshape(-1, 1, 1, 1) * (y - x)
            face_region = self.pairs.region(faces, s)
            if face_region is not None:
                y = x + face_region * (y - x)
        if self.region is not None:
            y = x + self.region * (y - x)
        if self.gate is not None:
            y = self.gate.target(x, y, s)
        if self.mouth is not None:
            y = keep_mouth(x, y, self.mouth.corners(x, None if self.pairs is None else faces))
        if self.jitter is not None:
            x, y = self.jitter.warp(self.jitter.draw(batch_size, gen, x.shape[-1]), x, y)
        if self.grain is not None:
            x, y = self.grain.apply(gen, x, y)
        return x, y, s

    @torch.no_grad()
    def find_mouths(self, batch_size: int = 256) -> None:
        """Find the mouth of every face of the pairs file now, all at once in worker
        processes (``MouthFinder.in_processes``), where training would look each face up
        as a chunk first draws it, a chunk at a time. The faces are drawn by the plain
        synthesis: the compiled teacher would compile again for each new batch size."""
        with self.mouth.in_processes():
            for start in range(0, self.pairs.pairs.faces, batch_size):
                faces = torch.arange(start, min(start + batch_size, self.pairs.pairs.faces))
                self.mouth.corners(self._synthesis(self.pairs.before[faces.to(self.device)]).clamp(-1, 1), faces)

    def _pair(self, ws: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.read.active:
            return self._both(ws, edit_latents(ws, self.direction, s))
        x = self.synthesize(ws).clamp(-1, 1)
        return x, self.synthesize(edit_latents(ws, self.direction, s, self.read(x))).clamp(-1, 1)

    def _both(self, before: torch.Tensor, edited: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One synthesis of both halves."""
        images = self.synthesize(torch.cat([before, edited])).clamp(-1, 1)
        return images[:len(before)], images[len(before):]

    def held_out(self, n: int, batch_size: int, stream: int = HELD_OUT,
                 strength: float | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``n`` pairs from a stream training never draws from, on the CPU."""
        xs, ys, ss = [], [], []
        for k in range(0, n, batch_size):
            x, y, s = self.batch(min(batch_size, n - k), k // batch_size, stream, strength)
            xs.append(x.cpu())
            ys.append(y.cpu())
            ss.append(s.cpu())
        return torch.cat(xs), torch.cat(ys), torch.cat(ss)


def to_bytes(images: torch.Tensor) -> torch.Tensor:
    return ((images + 1) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


def from_bytes(images: torch.Tensor) -> torch.Tensor:
    return images.float() / 127.5 - 1


class PairPool:
    """A ring of ``size`` teacher pairs on the sampler's device, ``chunk`` of them made
    fresh per training step (the rest reused): ``batch(n, t)`` first replaces the
    oldest chunk with training-stream batch ``t + slots``, then draws ``n`` pairs at
    random. After ``fill(t)`` the pool holds what a run that started at step 0 holds
    at step ``t``, so a resumed run continues exactly."""

    def __init__(self, sampler: PairSampler, size: int, chunk: int) -> None:
        if chunk < 1 or size < chunk:
            raise ValueError(f"a pool of {size} pairs cannot hold chunks of {chunk}")
        self.sampler, self.chunk = sampler, int(chunk)
        self.slots = int(size) // self.chunk
        self.size = self.slots * self.chunk
        self.device = sampler.device
        resolution = int(sampler.generator.size)
        self.x = torch.empty(self.size, 3, resolution, resolution, dtype=torch.uint8, device=self.device)
        self.y = torch.empty_like(self.x)
        self.s = torch.empty(self.size, device=self.device)
        self.filled = False

    def _write(self, index: int) -> None:
        x, y, s = self.sampler.batch(self.chunk, index, TRAIN)
        at = (index % self.slots) * self.chunk
        self.x[at:at + self.chunk] = to_bytes(x)
        self.y[at:at + self.chunk] = to_bytes(y)
        self.s[at:at + self.chunk] = s

    def fill(self, step: int) -> None:
        for index in range(step, step + self.slots):
            self._write(index)
        self.filled = True

    @torch.no_grad()
    def batch(self, batch_size: int, index: int, stream: int = POOL_DRAWS) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if not self.filled:  # the first draw of a run, fresh or resumed at step ``index``
            self.fill(index)
        self._write(index + self.slots)
        picks = torch.randint(self.size, (batch_size,), generator=self.sampler._rng(stream, index))
        picks = picks.to(self.device, non_blocking=True)
        return from_bytes(self.x[picks]), from_bytes(self.y[picks]), self.s[picks]


__all__ = ["DEFAULT_TRUNCATION", "PairSampler", "PairPool", "TRAIN", "HELD_OUT", "CALIBRATION", "POOL_DRAWS",
           "FIT"]
