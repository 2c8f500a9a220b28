"""How fast --keep-mouth's parts run on this machine: the aligner's mouth corners on
toyfaces generator faces with 1, 4 and all threads, and in worker processes as
find_mouths runs them (session 37; on the H100 in session 36 a pairs file's 3,575
faces took 59 s with 16 threads, one compile of the teacher included, about what one
thread does on a 2-core CPU), and keep_mouth itself on a pool chunk of 128 pairs
(training ran at 26.5 steps/s with it, 30 without). argv: [faces]"""
import os, sys, time
import torch
from latentroom.engine.aligners import build_aligner
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.mouth import MouthFinder, keep_mouth


def faces_of(count: int, device: str) -> torch.Tensor:
    generator = resolve_generator("toyfaces", device)
    with torch.no_grad():
        w = generator.mapping(torch.randn(count, generator.style_dim, generator=torch.Generator().manual_seed(0)).to(device), truncation=0.9)
        return generator.synthesis(w[:, None].expand(-1, generator.n_latent, -1), noise_mode="const").clamp(-1, 1)


def timed_keep_mouth(x: torch.Tensor, corners: torch.Tensor, device: str) -> float:
    chunk, y = x[:128], x[:128].flip(-1)
    for _ in range(3):
        keep_mouth(chunk, y, corners[:128])
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.time()
    for _ in range(50):
        keep_mouth(chunk, y, corners[:128])
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.time() - started) / 50


def main() -> None:
    faces = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = faces_of(faces, device)
    print(f"{faces} faces on {device}, cpu_count {os.cpu_count()}, torch threads {torch.get_num_threads()}")
    for threads in sorted({1, 4, os.cpu_count() or 1}):
        finder = MouthFinder(build_aligner("toyfaces"), "toyfaces", threads=threads)
        started = time.time()
        corners = finder.corners(x)
        spent = time.time() - started
        print(f"threads {threads}: {spent:.1f} s, {spent / faces * 1000:.1f} ms a face; {finder.missed} missed")
    finder = MouthFinder(build_aligner("toyfaces"), "toyfaces")
    started = time.time()
    with finder.in_processes():
        first = time.time()
        in_processes = finder.corners(x)
        print(f"{finder.threads} processes: {time.time() - first:.1f} s for the first {faces} faces (their start included)")
    print(f"  {time.time() - started:.1f} s in all; the same corners as threads: "
          f"{torch.equal(in_processes.nan_to_num(), corners.nan_to_num())}")
    print(f"keep_mouth on 128 pairs: {timed_keep_mouth(x, corners, device) * 1000:.2f} ms")


if __name__ == "__main__":  # worker processes are spawned: they import this file again
    main()
