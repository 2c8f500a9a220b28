"""``--scorer A --scorer B``: several scorers read as one (plugins/directions/joined_scorer.py).

The planted world knows every attribute's true direction, so whether the joined
scorer holds an attribute still that only its second part reads is measured, not
assumed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentroom.engine.errors import LatentroomError
from latentroom.plugins.directions.evaluate import evaluate_directions
from latentroom.plugins.directions.joined_scorer import JoinedScorer
from latentroom.plugins.directions.optimized import Optimized
from latentroom.plugins.directions.sampling import draw_bank
from latentroom.plugins.directions.scoring import ScorerError, resolve_scorer, score_images, training_scores
from latentroom.plugins.directions.testing import PlantedGenerator, PlantedScorer, unit_vectors

STYLE_DIM, N_LATENT = 16, 6


class ProbabilitiesOnly:
    """A differentiable scorer with a binary column and no ``torch_logits``."""

    def __init__(self, planted: PlantedScorer) -> None:
        self.planted, self.attributes, self.binary, self.name = planted, planted.attributes, planted.binary, "probs"

    def torch_scores(self, images: torch.Tensor) -> torch.Tensor:
        return self.planted.torch_scores(images)

    def __call__(self, images: torch.Tensor) -> dict[str, np.ndarray]:
        return self.planted(images)


@pytest.fixture(scope="module")
def vectors() -> dict[str, np.ndarray]:
    hair, smile, other, glasses = unit_vectors(STYLE_DIM, 4, seed=3)
    ortho = other - (other @ hair) * hair
    # beard has cosine 0.6 with hair: a direction that reads hair alone drags it along
    beard = 0.6 * hair + 0.8 * ortho / np.linalg.norm(ortho)
    return {"hair": hair, "smile": smile, "beard": beard, "glasses": glasses}


def planted(vectors: dict[str, np.ndarray], names: tuple[str, ...], name: str,
            binary: frozenset[str] = frozenset()) -> PlantedScorer:
    return PlantedScorer({n: vectors[n] for n in names}, STYLE_DIM, N_LATENT, binary=binary, name=name)


def images(count: int = 8) -> torch.Tensor:
    generator = PlantedGenerator(STYLE_DIM, N_LATENT)
    return generator.synthesis(generator.mapping(torch.randn(count, STYLE_DIM, generator=torch.Generator().manual_seed(1))))


def test_columns_are_read_by_the_first_scorer_that_names_them(vectors) -> None:
    text = planted(vectors, ("hair", "smile"), "text")
    # the classifier reads "hair" along another vector: the joined scorer must not use it
    classifier = PlantedScorer({"hair": vectors["smile"], "beard": vectors["beard"], "glasses": vectors["glasses"]},
                               STYLE_DIM, N_LATENT, binary=frozenset({"glasses"}), sharpness=6.0, name="classifier")
    joined = JoinedScorer([text, classifier])
    assert joined.attributes == ("hair", "smile", "beard", "glasses") and joined.name == "text & classifier"
    assert joined.binary == {"glasses"}
    x = images()
    scores, own, other = score_images(joined, x), text(x), classifier(x)
    np.testing.assert_allclose(scores["hair"], own["hair"], rtol=1e-6)
    np.testing.assert_allclose(scores["beard"], other["beard"], rtol=1e-6)
    assert not np.allclose(scores["hair"], other["hair"])
    # The differentiable paths gather the same columns; binary ones soften from logits.
    np.testing.assert_allclose(joined.torch_scores(x).numpy(), np.stack([scores[n] for n in joined.attributes], 1),
                               rtol=1e-5, atol=1e-6)
    soft = training_scores(joined, x, 4.0)[:, 3].numpy()
    np.testing.assert_allclose(soft, torch.sigmoid(classifier.torch_logits(x)[:, 2] / 4.0).numpy(), rtol=1e-5)


def test_a_part_without_logits_softens_its_probabilities_through_their_logit(vectors) -> None:
    probs = ProbabilitiesOnly(planted(vectors, ("glasses", "beard"), "p", binary=frozenset({"glasses"})))
    joined = JoinedScorer([planted(vectors, ("hair",), "text"), probs])
    x = images()
    soft = training_scores(joined, x, 4.0)[:, 1]
    p = probs.torch_scores(x)[:, 0].float()
    np.testing.assert_allclose(soft.numpy(), torch.sigmoid(torch.logit(p) / 4.0).numpy(), rtol=1e-4)
    np.testing.assert_allclose(training_scores(joined, x, 4.0)[:, 2].numpy(), probs(x)["beard"], rtol=1e-5)


def test_joins_that_cannot_work_are_refused(vectors) -> None:
    text = planted(vectors, ("hair",), "text")

    def numbers_only(x: torch.Tensor) -> dict[str, np.ndarray]:
        return {"beard": np.zeros(len(x))}

    with pytest.raises(ScorerError, match="numbers_only does not declare its attributes"):
        JoinedScorer([text, numbers_only])
    with pytest.raises(ScorerError, match="at least two"):
        JoinedScorer([text])
    # a part without torch_scores leaves the join non-differentiable, and optimized says so
    numbers = type("Numbers", (), {"attributes": ("beard",), "name": "numbers",
                                   "__call__": lambda self, x: {"beard": np.zeros(len(x))}})()
    joined = JoinedScorer([text, numbers])
    assert getattr(joined, "torch_scores", None) is None
    generator = PlantedGenerator(STYLE_DIM, N_LATENT)
    with pytest.raises(LatentroomError, match="differentiable scorer"):
        Optimized().find(generator, "hair", scorer=joined, bank=draw_bank(generator, joined, 64, seed=0))


def test_optimized_holds_still_what_only_the_second_scorer_reads(vectors) -> None:
    # The "text" reads hair and smile and is blind to beard, which moves with hair
    # (cosine 0.6); the "classifier" reads beard. Alone, the text's direction drags
    # beard along; joined, the classifier holds it still.
    generator = PlantedGenerator(STYLE_DIM, N_LATENT)
    text = planted(vectors, ("hair", "smile"), "text")
    joined = JoinedScorer([text, planted(vectors, ("hair", "beard"), "classifier")])
    judge = planted(vectors, ("hair", "smile", "beard"), "judge")
    found = [Optimized().find(generator, "hair", scorer=scorer, steps=150, lr=0.05,
                              bank=draw_bank(generator, scorer, 2000, seed=0)) for scorer in (text, joined)]
    alone, held = evaluate_directions(generator, found, judge, samples=200)
    leak = [abs(r["change"]["beard"]) / r["target_change"] for r in (alone, held)]
    assert leak[0] > 0.5 and leak[1] < 0.2  # measured 0.60 and 0.12
    assert held["target_change"] > 0.5 * alone["target_change"] > 0
    assert found[1].provenance.parameters["scorer"] == ["text", "classifier"]


def test_resolve_scorer_joins_several_names_and_checks_the_attributes() -> None:
    generator = PlantedGenerator(STYLE_DIM, N_LATENT)
    specs = ["latentroom.plugins.directions.testing:image_stats_scorer",
             "latentroom.plugins.directions.testing:channel_spread_scorer"]
    scorer = resolve_scorer(specs, "cpu", generator, "planted", ["redness", "saturation"])
    assert scorer.attributes[-1] == "saturation" and scorer.attributes.count("brightness") == 1
    assert resolve_scorer(specs[:1], "cpu", generator, "planted").name == specs[0]
    with pytest.raises(ScorerError, match="unknown attribute 'wings'"):
        resolve_scorer(specs, "cpu", generator, "planted", ["wings"])
    # what a direction file records is untrusted: a name that is not text is refused by name
    for recorded in ([specs[0], 7], [""], 3.5):
        with pytest.raises(ScorerError, match="scorer names must be non-empty text, got (7|''|3.5): pass --scorer"):
            resolve_scorer(recorded, "cpu", generator, "planted")
