"""toyfaces-clip: captions from the renderer's truth, counterfactual twins, the training
script (resumable, seeded) and the shipped weights (held-out retrieval, every attribute
read on twins, negations read correctly)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from latentroom.engine.errors import LatentroomError
from latentroom.engine.plugins import resolve_text_image_model
from latentroom.engine.protocols import TextImageModel
from latentroom.plugins.textimage import captions
from latentroom.plugins.textimage.toyclip import INFO_PATH, load
from latentroom.plugins.textimage.train_clip import (batch_for, heldout, heldout_twins, main, retrieval_accuracy,
                                                     to_tensor, twin_accuracy)
from latentroom.plugins.textimage.twins import TWIN_ATTRIBUTES, twin_pairs
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, edit, render, sample_params


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_captions_describe_the_truth_and_use_only_the_vocabulary() -> None:
    params = sample_params(0, 300)
    rng = np.random.default_rng(0)
    known = set(captions.vocabulary())
    texts = [captions.full_caption(params, i, rng) for i in range(300)]
    texts += [captions.training_caption(params, i, rng) for i in range(300)]
    assert all(set(captions.words(t)) <= known for t in texts)
    for i, text in enumerate(texts[:300]):
        has_glasses = params["glasses"][i] > 0.5
        assert any(p in text for p in ("glasses", "bespectacled"))
        negated = any(p in text for p in ("without glasses", "no glasses", "not wearing glasses"))
        assert negated == (not has_glasses), text
        if params["age"][i] >= captions.GREY_FROM_AGE:  # greyed hair is never given a colour
            assert not any(c in captions.words(text) for c in ("black", "brown", "blond", "red", "ginger")), text
    assert len(set(texts)) > 550  # phrasings and subsets vary


def test_a_face_near_a_word_edge_is_not_described_by_it() -> None:
    params = sample_params(1, 1)
    params = edit(params, "smile", float(0.65 - params["smile"][0]))  # on the smiling/neutral edge
    assert "smile" not in captions.mentions(params, 0)
    params = edit(params, "smile", 0.2)
    assert captions.mentions(params, 0)["smile"][0] == ("adj", "smiling")


def test_twins_differ_in_one_attribute_and_their_captions_only_in_its_phrase() -> None:
    rng = np.random.default_rng(4)
    params, texts, changed = twin_pairs(rng, 90)
    assert sorted(set(changed)) == sorted(TWIN_ATTRIBUTES)
    for i, attribute in enumerate(changed):
        differs = [a for a in ATTRIBUTE_NAMES if params[a][i] != params[a][90 + i]]
        assert differs == [attribute]
        assert texts[i] != texts[90 + i]
        # Word for word, the captions differ only by the changed attribute's phrase
        # (adjective or clause), the article before the first word and the "and" before
        # the last clause.
        for own, other in ((i, 90 + i), (90 + i, i)):
            extra = Counter(captions.words(texts[own])) - Counter(captions.words(texts[other])) - Counter(["a", "an", "and"])
            named = Counter()
            for _, phrase in captions.attribute_phrases(attribute, float(params[attribute][own])):
                named |= Counter(captions.words(phrase))
            assert not extra - named, (attribute, texts[own], texts[other])
    batch_images, batch_texts = batch_for(seed=0, step=0, size=10, twins=0.4)
    assert batch_images.shape == (10, 64, 64, 3) and len(batch_texts) == 10
    assert [t != u for t, u in zip(batch_texts[6:8], batch_texts[8:10])] == [True, True]


def test_twin_accuracy_reads_the_pairs_the_right_way_round() -> None:
    basis = torch.eye(8)
    images = torch.arange(8).float()
    texts = [f"t{i}" for i in range(8)]
    own = twin_accuracy(lambda x: basis[x.long()], lambda t: basis[[int(s[1:]) for s in t]], images, texts)
    swapped = twin_accuracy(lambda x: basis[(x.long() + 4) % 8], lambda t: basis[[int(s[1:]) for s in t]], images, texts)
    assert (own, swapped) == (1.0, 0.0)


def test_retrieval_accuracy_counts_each_group_of_100() -> None:
    texts = [f"t{i}" for i in range(200)]
    basis = torch.eye(200)
    images = torch.arange(200).float()
    perfect = retrieval_accuracy(lambda x: basis[x.long()], lambda t: basis[[int(s[1:]) for s in t]], images, texts)
    assert perfect == {"image_to_text_top1": 1.0, "text_to_image_top1": 1.0, "renders": 200}
    shifted = retrieval_accuracy(lambda x: basis[(x.long() + 1) % 200], lambda t: basis[[int(s[1:]) for s in t]],
                                 images, texts)
    assert shifted["image_to_text_top1"] < 0.02


def test_training_is_seeded_resumable_and_writes_weights_json_and_log(tmp_path: Path) -> None:
    common = ["--seed", "3", "--batch", "8", "--eval-n", "100", "--log-every", "1", "--checkpoint-every", "1",
              "--state-dir", str(tmp_path / "state")]
    assert main(["--out", str(tmp_path / "a"), "--steps", "2", *common]) == 0
    assert main(["--out", str(tmp_path / "a"), "--steps", "3", *common]) == 0  # resumes at step 2
    log = (tmp_path / "a" / "toyfaces-clip-train.log").read_text()
    assert "resumed from" in log and "at step 2" in log and "step 3 loss" in log
    meta = json.loads((tmp_path / "a" / "toyfaces-clip.json").read_text())
    assert meta["steps"] == 3 and meta["seed"] == 3 and "train_clip" in meta["command"]
    assert meta["vocabulary"] == captions.vocabulary() and meta["benchmark"]["renders"] == 100
    model = load(str(tmp_path / "a" / "toyfaces-clip.pt"))
    assert model.weights_sha256 == meta["sha256"]
    # Seeded: two runs from scratch with one seed train the same weights.
    straight = [load(str(main_run(tmp_path / name, common)[0])) for name in ("b", "c")]
    for (name, x), y in zip(straight[0].model.state_dict().items(), straight[1].model.state_dict().values()):
        assert torch.equal(x, y), name


def main_run(out: Path, common: list[str]) -> tuple[Path, int]:
    options = [o for o in common if o != "--state-dir" and not o.endswith("state")]
    return out / "toyfaces-clip.pt", main(["--out", str(out), "--steps", "3", *options])


@pytest.fixture(scope="module")
def shipped() -> TextImageModel:
    return resolve_text_image_model("toyfaces-clip")


def test_the_shipped_weights_record_how_they_were_made(shipped: TextImageModel) -> None:
    meta = json.loads(INFO_PATH.read_text())
    assert meta["command"].startswith("python -m latentroom.plugins.textimage.train_clip")
    assert meta["sha256"] == shipped.weights_sha256 and meta["seed"] == 0
    assert (INFO_PATH.parent / "toyfaces-clip-train.log").read_text().count("command:") >= 1
    assert isinstance(shipped, TextImageModel) and shipped.embed_dim == 64


def test_the_shipped_model_retrieves_held_out_captions(shipped: TextImageModel) -> None:
    images, texts = heldout(seed=5, count=300)  # another stream than the benchmark's
    result = retrieval_accuracy(shipped.encode_images, shipped.encode_texts, to_tensor(images, "cpu"), texts)
    chance = 1 / 100
    assert result["image_to_text_top1"] > 50 * chance, result


def test_the_shipped_model_reads_every_attribute_on_held_out_twins(shipped: TextImageModel) -> None:
    # Another stream than the benchmark's; a twin pair differs in its attribute alone,
    # so only reading that attribute picks the right caption (chance: 0.5).
    for attribute, (images, texts) in heldout_twins(seed=7, per_attribute=60).items():
        accuracy = twin_accuracy(shipped.encode_images, shipped.encode_texts, to_tensor(images, "cpu"), texts)
        assert accuracy > 0.8, (attribute, accuracy)


def test_the_shipped_model_reads_negations(shipped: TextImageModel) -> None:
    params = sample_params(11, 200)
    images = to_tensor(render(params, 64), "cpu")
    with torch.no_grad():
        emb = shipped.encode_images(images)
        for attribute, yes, no in (("glasses", "a face with glasses", "a face without glasses"),
                                   ("beard", "a face with a beard", "a face with no beard")):
            text = shipped.encode_texts([yes, no])
            says_yes = (emb @ text.T).argmax(1).numpy() == 0
            truth = params[attribute] > 0.5
            # Balanced (chance 0.5 whatever the prevalence): the mean of both hit rates.
            balanced = 0.5 * (says_yes[truth].mean() + (~says_yes[~truth]).mean())
            assert balanced > 0.8, (attribute, balanced)


def test_unknown_words_and_long_texts_are_refused(shipped: TextImageModel) -> None:
    with pytest.raises(LatentroomError, match="does not know the word.*'moustache'"):
        shipped.encode_texts(["a face with a moustache"])
    with pytest.raises(LatentroomError, match="reads at most 40"):
        shipped.encode_texts(["old " * 41])
    with pytest.raises(LatentroomError, match="toyfaces-clip weights not found"):
        load("/nonexistent/clip.pt")


def test_weights_given_by_path_are_bounded_and_regular_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    import latentroom.plugins.textimage.toyclip as toyclip
    from test_untrusted import finishes

    weights = tmp_path / "clip.pt"
    shutil.copy(toyclip.WEIGHTS_PATH, weights)
    shutil.copy(toyclip.INFO_PATH, weights.with_suffix(".json"))
    assert load(str(weights)).weights_sha256 == load().weights_sha256
    monkeypatch.setattr(toyclip, "MAX_WEIGHTS_BYTES", 1000)
    with pytest.raises(LatentroomError, match=r"clip\.pt: unreadable toyfaces-clip weights \(.*larger than 1000"):
        load(str(weights))
    monkeypatch.undo()
    weights.with_suffix(".json").write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(LatentroomError, match=r"clip\.json: unreadable toyfaces-clip metadata \(nests arrays"):
        load(str(weights))
    weights.with_suffix(".json").unlink()
    os.mkfifo(weights.with_suffix(".json"))
    with pytest.raises(LatentroomError, match=r"clip\.json: unreadable toyfaces-clip metadata \(.*FIFO"):
        finishes(lambda: load(str(weights)), fifo=weights.with_suffix(".json"))

