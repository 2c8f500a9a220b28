"""toyfaces-clip: a small dual encoder for the toyfaces world (image CNN, word transformer).

Both towers end in ``EMBED_DIM`` numbers, L2-normalised, so a caption and a render
that agree have a high cosine. Images of any size are area-resized to
``IMAGE_SIZE`` first (the generator's 128x128 outputs included). Texts are split
into words (:func:`latentroom.plugins.textimage.captions.words`) and looked up in the vocabulary
stored with the weights; a word outside it is an error naming the word, since
silently dropping "no" from "no beard" would invert the text.

Weights are plain tensors (``torch.save`` of a state dict, read with
``weights_only=True``) beside a JSON file holding the vocabulary, the architecture
and how they were trained (``train_clip``).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from latentroom.engine.atomic import atomic_write_bytes, atomic_write_text
from latentroom.engine.bounded_json import loads_bounded
from latentroom.engine.errors import LatentroomError
from latentroom.engine.regular_files import read_regular
from latentroom.plugins.textimage.captions import words

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_PATH = WEIGHTS_DIR / "toyfaces-clip.pt"
INFO_PATH = WEIGHTS_DIR / "toyfaces-clip.json"
EMBED_DIM = 64
IMAGE_SIZE = 64
MAX_WEIGHTS_BYTES = 64 * 1024 * 1024
"""A toyfaces-clip ``.pt`` given by path; the shipped one is 3 MB."""
MAX_INFO_BYTES = 1024 * 1024
"""Its ``.json`` beside it (vocabulary and training record; the shipped one is 2 kB)."""
MAX_WORDS = 40
TEXT_WIDTH = 96
PAD, UNUSED = 0, 1  # token ids; words start at 2


def _block(cin: int, cout: int) -> nn.Sequential:
    # BatchNorm, not GroupNorm: a third faster on the CPU, where the shipped run trains.
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1), nn.BatchNorm2d(cout), nn.SiLU(),
                         nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.SiLU())


class ImageTower(nn.Module):
    """64x64 RGB in [-1, 1] -> EMBED_DIM: a full-resolution stem, four stride-2 stages,
    then global pooling."""

    def __init__(self) -> None:
        super().__init__()
        # The stem reads the 64x64 pixels before any stride: a smile is a one-pixel
        # line curving up or down, which a first stride-2 layer blurs away. Without it
        # 2,000 contrastive steps left smiles at chance (held-out twins 0.50) and a
        # supervised smile probe at 0.1 correlation after 300 steps; with it the same
        # probe reached 0.92 in 400 (docs/text-edits.md).
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.SiLU())
        self.body = nn.Sequential(_block(16, 24), _block(24, 48), _block(48, 96), _block(96, 160))
        self.head = nn.Linear(160 * 2, EMBED_DIM)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-1] != IMAGE_SIZE or images.shape[-2] != IMAGE_SIZE:
            images = F.interpolate(images, size=(IMAGE_SIZE, IMAGE_SIZE), mode="area")
        x = self.body(self.stem(images))
        # Mean and max pooling: small features (glasses frames) survive the max.
        return self.head(torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1))


class TextTower(nn.Module):
    """Word ids -> EMBED_DIM: embeddings with positions, two transformer layers, mean
    over the words (padding masked)."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, TEXT_WIDTH, padding_idx=PAD)
        self.position = nn.Parameter(torch.zeros(MAX_WORDS, TEXT_WIDTH))
        layer = nn.TransformerEncoderLayer(TEXT_WIDTH, 4, 2 * TEXT_WIDTH, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(TEXT_WIDTH, EMBED_DIM)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        keep = ids != PAD
        x = self.encoder(self.embed(ids) + self.position[: ids.shape[1]], src_key_padding_mask=~keep)
        pooled = (x * keep[..., None]).sum(1) / keep.sum(1, keepdim=True).clamp(min=1)
        return self.head(pooled)


class DualEncoder(nn.Module):
    """The two towers and the learned temperature of the contrastive loss."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.image = ImageTower()
        self.text = TextTower(vocab_size)
        self.log_scale = nn.Parameter(torch.tensor(2.66))  # CLIP's initial 1/0.07

    def embed_images(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image(images), dim=-1)

    def embed_ids(self, ids: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text(ids), dim=-1)


class Vocabulary:
    """Word <-> id; ids 0 and 1 are reserved (padding, unused)."""

    def __init__(self, word_list: Sequence[str]) -> None:
        self.words = list(word_list)
        self.ids = {w: i + 2 for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words) + 2

    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """``[len(texts), longest]`` ids, padded with PAD."""
        rows = []
        for text in texts:
            tokens = words(text)
            unknown = [w for w in tokens if w not in self.ids]
            if unknown:
                raise LatentroomError(f"toyfaces-clip does not know the word(s) {', '.join(map(repr, unknown))} "
                                      f"in {text!r}; it knows: {', '.join(self.words)}")
            if len(tokens) > MAX_WORDS:
                raise LatentroomError(f"text {text!r} has {len(tokens)} words; toyfaces-clip reads at most {MAX_WORDS}")
            rows.append([self.ids[w] for w in tokens])
        longest = max((len(r) for r in rows), default=0) or 1
        return torch.tensor([r + [PAD] * (longest - len(r)) for r in rows], dtype=torch.long)


class ToyfacesClip:
    """The shipped dual encoder as a :class:`latentroom.engine.protocols.TextImageModel`."""

    name = "toyfaces-clip"

    def __init__(self, model: DualEncoder, vocabulary: Vocabulary, device: torch.device,
                 weights_sha256: str | None) -> None:
        self.model = model.to(device).eval().requires_grad_(False)
        self.vocabulary = vocabulary
        self.device = device
        self.weights_sha256 = weights_sha256
        self.embed_dim = EMBED_DIM
        self.image_size = IMAGE_SIZE

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        return self.model.embed_images(images.to(self.device, torch.float32))

    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        return self.model.embed_ids(self.vocabulary.encode(texts).to(self.device))


def save(model: DualEncoder, vocabulary: Vocabulary, path: Path, info: dict[str, Any]) -> None:
    """Plain float32 tensors at ``path`` and ``info`` plus the vocabulary in ``path``.json."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().float().contiguous() for k, v in model.state_dict().items()}, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    meta = {**info, "sha256": hashlib.sha256(buffer.getvalue()).hexdigest(), "vocabulary": vocabulary.words,
            "embed_dim": EMBED_DIM, "image_size": IMAGE_SIZE}
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=2) + "\n")


def load(argument: str | None = None, device: str | torch.device = "cpu") -> ToyfacesClip:
    """The model at ``argument`` (a .pt with its .json beside it), default the shipped one."""
    path = Path(argument) if argument else WEIGHTS_PATH
    info_path = path.with_suffix(".json")
    try:
        data = read_regular(path, MAX_WEIGHTS_BYTES)
    except FileNotFoundError:
        raise LatentroomError(f"{path}: toyfaces-clip weights not found") from None
    except OSError as exc:
        raise LatentroomError(f"{path}: unreadable toyfaces-clip weights ({exc})") from None
    try:
        meta = loads_bounded(read_regular(info_path, MAX_INFO_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise LatentroomError(f"{info_path}: toyfaces-clip weights not found") from None
    except (OSError, ValueError) as exc:
        raise LatentroomError(f"{info_path}: unreadable toyfaces-clip metadata ({exc})") from None
    vocab = meta.get("vocabulary") if isinstance(meta, dict) else None
    if not isinstance(vocab, list) or not all(isinstance(w, str) for w in vocab):
        raise LatentroomError(f"{info_path}: no 'vocabulary' list of words")
    vocabulary = Vocabulary(vocab)
    model = DualEncoder(len(vocabulary))
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # torch raises many types for a bad or mismatched file
        raise LatentroomError(f"{path}: not toyfaces-clip weights ({type(exc).__name__}: {str(exc)[:200]})") from None
    return ToyfacesClip(model, vocabulary, torch.device(device), hashlib.sha256(data).hexdigest())
