"""What keep_mouth does to a pair the teacher leaves alone (y = x): 64 toyfaces
generator samples, their mouths found by the toyfaces aligner; how many pixels
keep_mouth(x, x) moves, by how much, and the PSNR against x (inf: none)."""
import torch
from latentroom.engine.aligners import build_aligner
from latentroom.engine.plugins import resolve_generator
from latentroom.plugins.distill.mouth import MouthFinder, keep_mouth

if __name__ == "__main__":
    torch.set_num_threads(2)
    generator = resolve_generator("toyfaces", "cpu")
    with torch.no_grad():
        w = generator.mapping(torch.randn(64, generator.style_dim, generator=torch.Generator().manual_seed(3)), truncation=0.9)
        x = generator.synthesis(w[:, None].expand(-1, generator.n_latent, -1), noise_mode="const").clamp(-1, 1)
    kept = keep_mouth(x, x, MouthFinder(build_aligner("toyfaces"), "toyfaces", threads=2).corners(x))
    levels = (kept - x).abs() * 127.5
    psnr = 10 * torch.log10(4 / ((kept - x) ** 2).mean())
    print(f"keep_mouth(x, x) on 64 samples: {(levels.amax(1) > 2).flatten(1).sum(1).float().mean():.1f} pixels a face moved "
          f"by more than 2 levels, at most {levels.max():.1f}; mean {levels.mean():.4f} levels; PSNR against x {psnr:.2f} dB")
