"""The open_clip / OpenAI CLIP loader and CLIP's BPE tokenizer, on tiny checkpoints
written here in open_clip's key layout, checked against a reference forward pass
written independently below (torch's own MultiheadAttention, F.layer_norm)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from latentroom.engine.errors import LatentroomError
from latentroom.engine.plugins import resolve_text_image_model
from latentroom.engine.protocols import TextImageModel
from latentroom.plugins.textimage.bpe import Tokenizer, byte_characters
from latentroom.plugins.textimage.openclip import CLIP, load_checkpoint, read_sizes

WIDTH, HEADS, LAYERS, PATCH, GRID, CONTEXT, EMBED = 128, 2, 2, 8, 4, 12, 16
MERGES = ["a b", "ab c</w>", "f a", "fa c", "fac e</w>", "s m", "sm i", "smi l", "smil e</w>"]


def write_vocab(path: Path) -> Path:
    path.write_bytes(gzip.compress(("\n".join(["#version: tiny"] + MERGES) + "\n").encode()))
    return path


def vocab_size() -> int:
    return 2 * 256 + len(MERGES) + 2


def tiny_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors under every key open_clip's ViT CLIP has, with its shapes."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *shape, s=0.05: torch.randn(*shape, generator=g) * s  # noqa: E731
    sd: dict[str, torch.Tensor] = {}

    def tower(prefix: str) -> None:
        for i in range(LAYERS):
            p = f"{prefix}transformer.resblocks.{i}."
            sd.update({p + "ln_1.weight": 1 + r(WIDTH), p + "ln_1.bias": r(WIDTH),
                   p + "attn.in_proj_weight": r(3 * WIDTH, WIDTH, s=0.1), p + "attn.in_proj_bias": r(3 * WIDTH),
                   p + "attn.out_proj.weight": r(WIDTH, WIDTH, s=0.1), p + "attn.out_proj.bias": r(WIDTH),
                   p + "ln_2.weight": 1 + r(WIDTH), p + "ln_2.bias": r(WIDTH),
                   p + "mlp.c_fc.weight": r(4 * WIDTH, WIDTH, s=0.1), p + "mlp.c_fc.bias": r(4 * WIDTH),
                   p + "mlp.c_proj.weight": r(WIDTH, 4 * WIDTH, s=0.1), p + "mlp.c_proj.bias": r(WIDTH)})

    tower("visual.")
    tower("")
    sd |= {"visual.conv1.weight": r(WIDTH, 3, PATCH, PATCH, s=0.1), "visual.class_embedding": r(WIDTH, s=0.5),
           "visual.positional_embedding": r(GRID * GRID + 1, WIDTH, s=0.5), "visual.ln_pre.weight": 1 + r(WIDTH),
           "visual.ln_pre.bias": r(WIDTH), "visual.ln_post.weight": 1 + r(WIDTH), "visual.ln_post.bias": r(WIDTH),
           "visual.proj": r(WIDTH, EMBED, s=0.2), "token_embedding.weight": r(vocab_size(), WIDTH, s=0.5),
           "positional_embedding": r(CONTEXT, WIDTH, s=0.5), "ln_final.weight": 1 + r(WIDTH),
           "ln_final.bias": r(WIDTH), "text_projection": r(WIDTH, EMBED, s=0.2), "logit_scale": torch.tensor(4.6)}
    return sd


# ------------------------------------------------------------- independent reference


def ref_tower(x: torch.Tensor, sd: dict[str, torch.Tensor], prefix: str, quick: bool,
              mask: torch.Tensor | None) -> torch.Tensor:
    for i in range(LAYERS):
        p = f"{prefix}transformer.resblocks.{i}."
        attention = torch.nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
        attention.in_proj_weight.data, attention.in_proj_bias.data = sd[p + "attn.in_proj_weight"], sd[p + "attn.in_proj_bias"]
        attention.out_proj.weight.data, attention.out_proj.bias.data = sd[p + "attn.out_proj.weight"], sd[p + "attn.out_proj.bias"]
        y = F.layer_norm(x, (WIDTH,), sd[p + "ln_1.weight"], sd[p + "ln_1.bias"])
        x = x + attention(y, y, y, need_weights=False, attn_mask=mask)[0]
        h = F.linear(F.layer_norm(x, (WIDTH,), sd[p + "ln_2.weight"], sd[p + "ln_2.bias"]),
                     sd[p + "mlp.c_fc.weight"], sd[p + "mlp.c_fc.bias"])
        h = h * torch.sigmoid(1.702 * h) if quick else F.gelu(h)
        x = x + F.linear(h, sd[p + "mlp.c_proj.weight"], sd[p + "mlp.c_proj.bias"])
    return x


def ref_image(pixels: torch.Tensor, sd: dict[str, torch.Tensor], quick: bool) -> torch.Tensor:
    """pixels already normalised, 32x32."""
    patches = F.conv2d(pixels, sd["visual.conv1.weight"], stride=PATCH)
    tokens = torch.cat([sd["visual.class_embedding"].expand(len(pixels), 1, WIDTH),
                        patches.flatten(2).transpose(1, 2)], 1) + sd["visual.positional_embedding"]
    x = F.layer_norm(tokens, (WIDTH,), sd["visual.ln_pre.weight"], sd["visual.ln_pre.bias"])
    x = ref_tower(x, sd, "visual.", quick, None)[:, 0]
    return F.layer_norm(x, (WIDTH,), sd["visual.ln_post.weight"], sd["visual.ln_post.bias"]) @ sd["visual.proj"]


def ref_text(ids: torch.Tensor, sd: dict[str, torch.Tensor], quick: bool) -> torch.Tensor:
    x = sd["token_embedding.weight"][ids] + sd["positional_embedding"]
    causal = torch.ones(CONTEXT, CONTEXT, dtype=torch.bool).triu(1)  # True: may not attend
    x = F.layer_norm(ref_tower(x, sd, "", quick, causal), (WIDTH,), sd["ln_final.weight"], sd["ln_final.bias"])
    ends = [int(row.tolist().index(vocab_size() - 1)) for row in ids]
    return torch.stack([x[i, e] for i, e in enumerate(ends)]) @ sd["text_projection"]


# ---------------------------------------------------------------------------- tests


def test_tokenizer_merges_like_clip(tmp_path: Path) -> None:
    tokenizer = Tokenizer.from_file(write_vocab(tmp_path / "bpe.txt.gz"))
    assert len(tokenizer) == vocab_size()
    chars = byte_characters()
    assert sorted(chars) == list(range(256)) and len(set(chars.values())) == 256
    byte_ids = {c: i for i, c in enumerate(chars.values())}
    first_merge = 512
    # "abc" -> "ab" + "c</w>" -> "abc</w>"; "smile" merges fully; "cab" meets no merge.
    assert tokenizer.encode("abc") == [first_merge + 1]
    assert tokenizer.encode("Smile!") == [first_merge + 8, byte_ids["!"] + 256]
    assert tokenizer.encode("cab") == [byte_ids["c"], byte_ids["a"], byte_ids["b"] + 256]
    ids = tokenizer(["abc face", "x" * 40], CONTEXT)
    start, end = vocab_size() - 2, vocab_size() - 1
    assert ids[0].tolist() == [start, first_merge + 1, first_merge + 4, end] + [0] * (CONTEXT - 4)
    assert ids[1, 0] == start and ids[1, -1] == end and ids.shape == (2, CONTEXT)  # truncated, end kept


def test_tokenizer_refuses_a_file_that_is_no_vocabulary(tmp_path: Path) -> None:
    bad = tmp_path / "vocab.txt"
    bad.write_text("#version\nab c d\n")
    with pytest.raises(LatentroomError, match=r"vocab.txt: line 2 is not a merge"):
        Tokenizer.from_file(bad)
    with pytest.raises(LatentroomError, match="not found"):
        Tokenizer.from_file(tmp_path / "missing.gz")


@pytest.mark.parametrize("layout", ["open_clip training checkpoint", "openai state dict"])
def test_loads_a_tiny_checkpoint_and_matches_the_reference(tmp_path: Path, layout: str) -> None:
    sd = tiny_state_dict()
    path = tmp_path / "tiny.pt"
    if layout == "open_clip training checkpoint":
        torch.save({"epoch": 3, "name": "tiny", "state_dict": {f"module.{k}": v for k, v in sd.items()}}, path)
        quick = False
    else:  # OpenAI's extra entries: QuickGELU is chosen from them
        torch.save({**sd, "input_resolution": torch.tensor(32), "context_length": torch.tensor(CONTEXT),
                    "vocab_size": torch.tensor(vocab_size())}, path)
        quick = True
    model = resolve_text_image_model(f"openclip:{path}", "cpu", vocab=str(write_vocab(tmp_path / "bpe.gz")))
    assert isinstance(model, TextImageModel)
    assert (model.embed_dim, model.image_size) == (EMBED, PATCH * GRID)
    assert read_sizes(sd, path) == {"vision_width": WIDTH, "patch": PATCH, "grid": GRID, "vision_layers": LAYERS,
                                    "embed_dim": EMBED, "text_width": WIDTH, "context_length": CONTEXT,
                                    "vocab_size": vocab_size(), "text_layers": LAYERS}
    loaded = model.model.state_dict()
    assert set(loaded) == set(sd) and all(torch.equal(loaded[k], sd[k]) for k in sd)

    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    normalised = ((images + 1) / 2 - model._mean) / model._std
    expected = F.normalize(ref_image(normalised, sd, quick), dim=-1)
    assert torch.allclose(model.encode_images(images), expected, atol=1e-5)

    texts = ["abc", "a smile face", "cab"]
    ids = torch.from_numpy(model.tokenizer(texts, CONTEXT))
    expected_text = F.normalize(ref_text(ids, sd, quick), dim=-1)
    assert torch.allclose(model.encode_texts(texts), expected_text, atol=1e-5)
    # The activation matters: the other one gives different embeddings.
    assert not torch.allclose(expected_text, F.normalize(ref_text(ids, sd, not quick), dim=-1), atol=1e-3)


def test_loads_a_torchscript_archive_like_openais_model_pt(tmp_path: Path) -> None:
    sd = tiny_state_dict(seed=2)
    sizes = read_sizes(sd, tmp_path)

    class Scripted(CLIP):
        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.encode_text(ids)

    module = Scripted(sizes, quick_gelu=True)
    module.load_state_dict(sd)
    path = tmp_path / "model.pt"
    torch.jit.save(torch.jit.trace(module, torch.zeros(1, CONTEXT, dtype=torch.long)), str(path))
    model = load_checkpoint(str(path), "cpu", vocab=str(write_vocab(tmp_path / "bpe.gz")), activation="quickgelu")
    ids = torch.from_numpy(model.tokenizer(["smile"], CONTEXT))
    assert torch.allclose(model.encode_ids(ids), F.normalize(ref_text(ids, sd, True), dim=-1), atol=1e-5)


def test_bad_checkpoints_are_named_errors(tmp_path: Path) -> None:
    sd = tiny_state_dict()
    resnet = tmp_path / "rn50.pt"
    torch.save({**sd, "visual.attnpool.c_proj.weight": torch.zeros(1)}, resnet)
    with pytest.raises(LatentroomError, match=r"rn50.pt: a ResNet CLIP"):
        load_checkpoint(str(resnet))
    partial = tmp_path / "partial.pt"
    torch.save({k: v for k, v in sd.items() if k != "text_projection"}, partial)
    with pytest.raises(LatentroomError, match=r"partial.pt: no 'text_projection'"):
        load_checkpoint(str(partial))
    pickled = tmp_path / "pickled.pt"
    torch.save({"state_dict": sd, "config": Path("somewhere")}, pickled)  # a pickled class: refused
    with pytest.raises(LatentroomError, match=r"pickled.pt: not a CLIP checkpoint torch can read with weights_only"):
        load_checkpoint(str(pickled))
    good = tmp_path / "good.pt"
    torch.save(sd, good)
    with pytest.raises(LatentroomError, match="needs CLIP's BPE vocabulary file"):
        load_checkpoint(str(good)).encode_texts(["a face"])
    small_vocab = tmp_path / "small.txt"
    small_vocab.write_text("#version\na b\n")
    with pytest.raises(LatentroomError, match=r"small.txt: gives 515 tokens but .*good.pt embeds 523"):
        load_checkpoint(str(good), vocab=str(small_vocab))
    with pytest.raises(LatentroomError, match="not found"):
        load_checkpoint(str(tmp_path / "nothing.pt"))
