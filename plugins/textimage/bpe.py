"""CLIP's byte-pair-encoding tokenizer, read from the vocabulary file the user gives.

The file is OpenAI's ``bpe_simple_vocab_16e6.txt.gz`` (also shipped inside
open_clip), gzip or plain text: a header line, then one merge per line. The token
list is built as CLIP builds it: the 256 byte characters, the same with ``</w>``
(end of word), one token per merge, then ``<|startoftext|>`` and ``<|endoftext|>``.

Differences from CLIP's own tokenizer, both in text cleaning only: ``ftfy`` (a mojibake
fixer) is not applied, and the word pattern's Unicode classes ``\\p{L}``/``\\p{N}`` are
written with the standard ``re`` module's ``[^\\W\\d_]`` and ``\\d``. Plain text
tokenizes identically.
"""

from __future__ import annotations

import gzip
import html
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from latentroom.engine.errors import LatentroomError

START, END = "<|startoftext|>", "<|endoftext|>"
CLIP_MERGES = 49152 - 256 - 2  # merges CLIP reads from its file (the rest are unused)
MAX_VOCAB_BYTES = 16 * 1024 * 1024
_WORD = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+",
                   re.IGNORECASE)


@lru_cache(maxsize=1)
def byte_characters() -> dict[int, str]:
    """CLIP's reversible byte -> printable character map."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = printable[:], 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(c) for c in chars)))


def read_merges(path: str | Path) -> list[tuple[str, str]]:
    """The merges of a CLIP vocabulary file (gzip or text), at most :data:`CLIP_MERGES`."""
    where = Path(path)
    try:
        raw = where.read_bytes() if where.stat().st_size <= MAX_VOCAB_BYTES else None
    except FileNotFoundError:
        raise LatentroomError(f"{where}: BPE vocabulary file not found") from None
    except OSError as exc:
        raise LatentroomError(f"{where}: cannot read the BPE vocabulary ({exc.strerror})") from None
    if raw is None:
        raise LatentroomError(f"{where}: larger than {MAX_VOCAB_BYTES >> 20} MiB; not a CLIP BPE vocabulary")
    try:
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise LatentroomError(f"{where}: not a gzip or UTF-8 BPE vocabulary ({exc})") from None
    lines = text.split("\n")[1:CLIP_MERGES + 1]
    merges = [tuple(line.split()) for line in lines if line.strip()]
    bad = next((i for i, m in enumerate(merges) if len(m) != 2), None)
    if bad is not None:
        raise LatentroomError(f"{where}: line {bad + 2} is not a merge of two symbols")
    return merges  # type: ignore[return-value]


class Tokenizer:
    """Texts -> CLIP token ids ``[N, context_length]`` (start, tokens, end, zero padding)."""

    def __init__(self, merges: list[tuple[str, str]]) -> None:
        symbols = list(byte_characters().values())
        tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + [START, END]
        self.encoder = {t: i for i, t in enumerate(tokens)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.cache: dict[str, list[str]] = {}

    @classmethod
    def from_file(cls, path: str | Path) -> "Tokenizer":
        return cls(read_merges(path))

    def __len__(self) -> int:
        return len(self.encoder)

    def bpe(self, token: str) -> list[str]:
        """CLIP's greedy merge of the lowest-ranked adjacent pair, until none applies."""
        if token in self.cache:
            return self.cache[token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(a, b) for a, b in zip(word, word[1:])}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = word
        return word

    def encode(self, text: str) -> list[int]:
        cleaned = re.sub(r"\s+", " ", html.unescape(html.unescape(text))).strip().lower()
        chars = byte_characters()
        ids: list[int] = []
        for piece in _WORD.findall(cleaned):
            ids += [self.encoder[t] for t in self.bpe("".join(chars[b] for b in piece.encode("utf-8")))]
        return ids

    def __call__(self, texts: list[str], context_length: int) -> np.ndarray:
        out = np.zeros((len(texts), context_length), dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [self.encoder[START]] + self.encode(text)[: context_length - 2] + [self.encoder[END]]
            out[row, : len(ids)] = ids
        return out
