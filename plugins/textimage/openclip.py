"""CLIP ViT checkpoints by path: open_clip's ``CLIP`` state dict and OpenAI's ``model.pt``.

Both use one key layout (open_clip kept OpenAI's): ``visual.conv1``,
``visual.class_embedding``, ``visual.positional_embedding``, ``visual.ln_pre``,
``visual.transformer.resblocks.N.{ln_1, attn.in_proj_*, attn.out_proj, ln_2,
mlp.c_fc, mlp.c_proj}``, ``visual.ln_post``, ``visual.proj`` for the image tower;
``token_embedding``, ``positional_embedding``, ``transformer.resblocks.N.*``,
``ln_final``, ``text_projection`` for the text tower; ``logit_scale``. The sizes are
read from the shapes, as open_clip's ``build_model_from_openai_state_dict`` does
(heads = width / 64). Accepted files:

* a plain state dict (open_clip's released ``open_clip_pytorch_model.bin``);
* a training checkpoint ``{"state_dict": ...}`` whose keys may carry ``module.``;
* OpenAI's TorchScript ``model.pt`` (a zip with ``code/``): read with ``torch.jit.load``
  (TorchScript code, not Python pickle); its ``input_resolution``,
  ``context_length`` and ``vocab_size`` entries are dropped.

Every other file is read with ``weights_only=True``. ResNet image towers
(``visual.attnpool``) are refused by name. The MLP activation is QuickGELU for OpenAI
files (and open_clip's ``-quickgelu`` models: option ``activation=quickgelu``), GELU
otherwise. Texts need CLIP's BPE vocabulary file: option ``vocab=PATH``
(:mod:`latentroom.plugins.textimage.bpe`); nothing is downloaded.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from latentroom.engine.errors import LatentroomError
from latentroom.engine.regular_files import sha256_regular
from latentroom.plugins.textimage.bpe import Tokenizer

# OpenAI's image normalisation (open_clip's OPENAI_DATASET_MEAN/STD).
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
OPENAI_EXTRAS = ("input_resolution", "context_length", "vocab_size")
MAX_CHECKPOINT_BYTES = 4 * 1024**3


class ResidualBlock(nn.Module):
    """Pre-norm transformer block with CLIP's parameter names; attention written out
    (queries, keys and values from the packed ``in_proj``)."""

    def __init__(self, width: int, heads: int, quick_gelu: bool) -> None:
        super().__init__()
        self.heads = heads
        self.quick_gelu = quick_gelu
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.Module()
        self.attn.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.attn.in_proj_bias = nn.Parameter(torch.empty(3 * width))
        self.attn.out_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(width, 4 * width)
        self.mlp.c_proj = nn.Linear(4 * width, width)

    def attention(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, n, width = x.shape
        q, k, v = F.linear(x, self.attn.in_proj_weight, self.attn.in_proj_bias).chunk(3, dim=-1)
        split = lambda t: t.reshape(b, n, self.heads, width // self.heads).transpose(1, 2)  # noqa: E731
        scores = split(q) @ split(k).transpose(-1, -2) / math.sqrt(width // self.heads)
        if mask is not None:
            scores = scores + mask
        out = (scores.softmax(-1) @ split(v)).transpose(1, 2).reshape(b, n, width)
        return self.attn.out_proj(out)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attention(self.ln_1(x), mask)
        h = self.mlp.c_fc(self.ln_2(x))
        h = h * torch.sigmoid(1.702 * h) if self.quick_gelu else F.gelu(h)
        return x + self.mlp.c_proj(h)


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, quick_gelu: bool) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(ResidualBlock(width, heads, quick_gelu) for _ in range(layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x, mask)
        return x


class VisionTower(nn.Module):
    def __init__(self, width: int, layers: int, patch: int, grid: int, embed_dim: int, quick_gelu: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.empty(width))
        self.positional_embedding = nn.Parameter(torch.empty(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, width // 64 or 1, quick_gelu)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.empty(width, embed_dim))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.conv1(pixels).flatten(2).transpose(1, 2)  # [B, grid^2, width]
        cls = self.class_embedding.expand(len(x), 1, -1)
        x = self.ln_pre(torch.cat([cls, x], 1) + self.positional_embedding)
        return self.ln_post(self.transformer(x)[:, 0]) @ self.proj


class CLIP(nn.Module):
    """CLIP's ViT image tower and causal text transformer, in CLIP's key layout."""

    def __init__(self, sizes: Mapping[str, int], quick_gelu: bool) -> None:
        super().__init__()
        self.sizes = dict(sizes)
        self.visual = VisionTower(sizes["vision_width"], sizes["vision_layers"], sizes["patch"], sizes["grid"],
                                  sizes["embed_dim"], quick_gelu)
        width = sizes["text_width"]
        self.token_embedding = nn.Embedding(sizes["vocab_size"], width)
        self.positional_embedding = nn.Parameter(torch.empty(sizes["context_length"], width))
        self.transformer = Transformer(width, sizes["text_layers"], width // 64 or 1, quick_gelu)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, sizes["embed_dim"]))
        self.logit_scale = nn.Parameter(torch.ones([]))

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        n = ids.shape[1]
        causal = torch.full((n, n), float("-inf"), device=ids.device).triu(1)
        x = self.transformer(self.token_embedding(ids) + self.positional_embedding[:n], causal)
        x = self.ln_final(x)
        # The end-of-text token has the largest id, so argmax finds each text's end.
        return x[torch.arange(len(ids), device=ids.device), ids.argmax(-1)] @ self.text_projection


def read_sizes(state: Mapping[str, torch.Tensor], where: Path) -> dict[str, int]:
    """Tower sizes from the tensor shapes; a missing key is a clear error."""
    def need(key: str) -> torch.Tensor:
        if key not in state:
            raise LatentroomError(f"{where}: no '{key}' in the state dict; not a CLIP ViT checkpoint")
        return state[key]

    if any(k.startswith("visual.attnpool") for k in state):
        raise LatentroomError(f"{where}: a ResNet CLIP (visual.attnpool); only ViT image towers are supported")
    count = lambda prefix: len({k[len(prefix):].split(".")[0] for k in state if k.startswith(prefix)})  # noqa: E731
    conv = need("visual.conv1.weight")
    positions = need("visual.positional_embedding").shape[0] - 1
    grid = round(math.sqrt(positions))
    if grid * grid != positions:
        raise LatentroomError(f"{where}: visual.positional_embedding has {positions + 1} rows, not a square grid + 1")
    return {"vision_width": conv.shape[0], "patch": conv.shape[-1], "grid": grid,
            "vision_layers": count("visual.transformer.resblocks."),
            "embed_dim": need("text_projection").shape[1], "text_width": need("ln_final.weight").shape[0],
            "context_length": need("positional_embedding").shape[0],
            "vocab_size": need("token_embedding.weight").shape[0], "text_layers": count("transformer.resblocks.")}


def read_state_dict(path: Path) -> tuple[dict[str, torch.Tensor], bool, str]:
    """(state dict with bare keys, whether it is OpenAI's TorchScript file, sha256)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise LatentroomError(f"{path}: CLIP checkpoint not found") from None
    if size > MAX_CHECKPOINT_BYTES:
        raise LatentroomError(f"{path}: {size} bytes, more than any CLIP checkpoint this loader reads")
    try:
        digest = sha256_regular(path, MAX_CHECKPOINT_BYTES)
    except OSError as exc:
        raise LatentroomError(f"{path}: cannot read CLIP checkpoint ({exc})") from None
    scripted = _is_torchscript(path)
    try:
        if scripted:
            loaded: Any = torch.jit.load(str(path), map_location="cpu").state_dict()
        else:
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001: torch raises many types for files it refuses
        what = "unreadable TorchScript archive" if scripted else "not a CLIP checkpoint torch can read with weights_only"
        raise LatentroomError(f"{path}: {what} ({type(exc).__name__}: {str(exc)[:200]})") from None
    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise LatentroomError(f"{path}: holds no state dict of tensors")
    state = {re.sub(r"^module\.", "", k): v for k, v in loaded.items() if k not in OPENAI_EXTRAS}
    return state, scripted or any(k in loaded for k in OPENAI_EXTRAS), digest


def _is_torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.split("/", 1)[-1].startswith("code/") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


class OpenClipModel:
    """A loaded CLIP checkpoint as a :class:`latentroom.engine.protocols.TextImageModel`."""

    def __init__(self, model: CLIP, tokenizer: Tokenizer | None, device: torch.device, weights_sha256: str,
                 source: Path) -> None:
        self.model = model.to(device).eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.device = device
        self.weights_sha256 = weights_sha256
        self.name = f"openclip:{source.name}"
        self.embed_dim = model.sizes["embed_dim"]
        self.image_size = model.sizes["patch"] * model.sizes["grid"]
        self._mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
        self._std = torch.tensor(STD, device=device).view(1, 3, 1, 1)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        x = images.to(self.device, torch.float32)
        if x.shape[-2:] != (self.image_size, self.image_size):
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bicubic", align_corners=False,
                              antialias=True)
        x = ((x + 1.0) / 2.0 - self._mean) / self._std
        return F.normalize(self.model.visual(x), dim=-1)

    def encode_ids(self, ids: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.model.encode_text(ids.to(self.device)), dim=-1)

    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        if self.tokenizer is None:
            raise LatentroomError(f"{self.name}: encoding texts needs CLIP's BPE vocabulary file; "
                                  "pass the option vocab=PATH (bpe_simple_vocab_16e6.txt.gz)")
        ids = self.tokenizer(list(texts), self.model.sizes["context_length"])
        return self.encode_ids(torch.from_numpy(ids))


def load_checkpoint(argument: str | None, device: str | torch.device = "cpu", vocab: str | None = None,
                    activation: str | None = None) -> OpenClipModel:
    """The checkpoint at ``argument`` (see the module docstring) on ``device``."""
    if not argument:
        raise LatentroomError("openclip needs the checkpoint's path: openclip:PATH")
    path = Path(argument)
    state, openai, digest = read_state_dict(path)
    sizes = read_sizes(state, path)
    if activation not in (None, "gelu", "quickgelu"):
        raise LatentroomError(f"openclip: activation must be gelu or quickgelu, got {activation!r}")
    model = CLIP(sizes, quick_gelu=(activation or ("quickgelu" if openai else "gelu")) == "quickgelu")
    try:
        model.load_state_dict({k: v.float() for k, v in state.items() if k != "attn_mask"})
    except RuntimeError as exc:
        raise LatentroomError(f"{path}: does not fit the CLIP ViT layout ({str(exc)[:300]})") from None
    tokenizer = Tokenizer.from_file(vocab) if vocab else None
    if tokenizer is not None and len(tokenizer) != sizes["vocab_size"]:
        raise LatentroomError(f"{vocab}: gives {len(tokenizer)} tokens but {path} embeds {sizes['vocab_size']}")
    return OpenClipModel(model, tokenizer, torch.device(device), digest, path)
