"""Direction sources on planted worlds (known true directions) and a small StyleGAN2."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import latentroom.engine.plugins as plugins
from latentroom.engine.direction import Direction, Provenance, layer_groups, parse_layers
from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import DirectionSource, Generator
from latentroom.plugins.directions.edit import edit_latents, to_wplus
from latentroom.plugins.directions.evaluate import EVAL_SEED, evaluate_directions, render_strip
from latentroom.plugins.directions.sampling import SampleBank, draw_bank, sample_w
from latentroom.plugins.directions.scoring import ScorerError, check_attributes, training_scores
from latentroom.plugins.directions.ganspace import GANSpace
from latentroom.plugins.directions.linear_boundary import L2_GRID, LinearBoundary, choose_l2, fit_logistic
from latentroom.plugins.directions.mean_difference import MeanDifference
from latentroom.plugins.directions.optimized import Optimized
from latentroom.plugins.directions.sefa import SeFa
from latentroom.plugins.directions.source_base import project_out, response_normals, suggest_layers
from latentroom.plugins.directions.testing import (
    PlantedGenerator,
    PlantedScorer,
    image_stats_scorer,
    planted_world,
    tiny_stylegan2,
    unit_vectors,
)


@pytest.fixture(scope="module")
def world() -> tuple[PlantedGenerator, PlantedScorer, SampleBank]:
    generator, scorer = planted_world()
    return generator, scorer, draw_bank(generator, scorer, 2000, seed=0)


@pytest.fixture(scope="module")
def stylegan() -> torch.nn.Module:
    return tiny_stylegan2()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_builtin_sources_are_registered_and_satisfy_the_protocol() -> None:
    plugins.reset()
    try:
        sources = plugins.registry().direction_sources
        for name in ("mean-difference", "linear-boundary", "ganspace", "sefa", "optimized"):
            assert sources[name].plugin == "directions"
            assert isinstance(sources[name].value(), DirectionSource)
    finally:
        plugins.reset()


def test_planted_generator_is_a_generator() -> None:
    assert isinstance(PlantedGenerator(), Generator)


@pytest.mark.parametrize("source", [MeanDifference, LinearBoundary])
@pytest.mark.parametrize("attribute", ["smile", "glasses", "beard"])
def test_planted_direction_is_recovered(world, source, attribute: str) -> None:
    generator, scorer, bank = world
    direction = source().find(generator, attribute, scorer=scorer, bank=bank)
    assert cosine(direction.vector, scorer.vectors[attribute]) >= 0.99
    prov = direction.provenance
    assert (prov.source, prov.attribute, prov.parameters["samples"], prov.parameters["scorer"]) == (
        source.name, attribute, 2000, "planted")


def test_find_draws_its_own_samples() -> None:
    generator, scorer = planted_world()
    direction = MeanDifference().find(generator, "age", scorer=scorer, samples=1500, seed=4, layers="fine")
    assert cosine(direction.vector, scorer.vectors["age"]) >= 0.99
    assert direction.layer_spec == "fine" and direction.provenance.parameters["seed"] == 4


def test_conditioning_removes_the_conditioned_normals(world) -> None:
    generator, scorer, bank = world
    source = LinearBoundary()
    plain = source.find(generator, "beard", scorer=scorer, bank=bank)
    conditioned = source.find(generator, "beard", scorer=scorer, bank=bank, condition_on=["hair_length", "smile"])
    hair = source.normal(bank, "hair_length")
    smile = source.normal(bank, "smile")
    assert abs(cosine(plain.vector, hair)) > 0.5  # the planted pair is correlated (cosine 0.6)
    assert abs(float(conditioned.vector @ hair)) < 1e-5 and abs(float(conditioned.vector @ smile)) < 1e-5
    # What is left of beard once hair_length is projected out: the planted orthogonal part.
    truth = project_out(scorer.vectors["beard"], [scorer.vectors["hair_length"], scorer.vectors["smile"]])
    assert cosine(conditioned.vector, truth) >= 0.98
    record = conditioned.provenance.details["conditioned_on"]["hair_length"]
    assert abs(record["cosine_before"]) > 0.5 and abs(record["cosine_after"]) < 1e-6
    assert conditioned.provenance.parameters["condition_on"] == ["hair_length", "smile"]


def test_conditioning_reduces_leak_at_equal_target_change(world) -> None:
    generator, scorer, bank = world
    source = LinearBoundary()
    plain = source.find(generator, "beard", scorer=scorer, bank=bank)
    conditioned = source.find(generator, "beard", scorer=scorer, bank=bank, condition_on=["hair_length"])
    reports = evaluate_directions(generator, [plain, conditioned], scorer, samples=200)
    leak = [abs(r["change"]["hair_length"]) / r["target_change"] for r in reports]
    assert leak[1] < 0.05 * leak[0]


def test_project_out_handles_dependent_normals() -> None:
    a, b, c = unit_vectors(6, 3, seed=1)
    result = project_out(a, [b, c, 2 * b - c])  # the third adds nothing
    assert abs(result @ b) < 1e-12 and abs(result @ c) < 1e-12 and np.isclose(np.linalg.norm(result), 1)
    with pytest.raises(LatentroomError, match="span"):
        project_out(b, [b])


def test_source_errors(world) -> None:
    generator, scorer, bank = world
    with pytest.raises(LatentroomError, match="no parameter colour"):
        MeanDifference().find(generator, "smile", scorer=scorer, bank=bank, colour=1)
    with pytest.raises(LatentroomError, match="unknown attribute 'wings'"):
        LinearBoundary().find(generator, "wings", scorer=scorer, bank=bank)
    with pytest.raises(LatentroomError, match="does not support condition_on"):
        GANSpace().find(generator, "smile", scorer=scorer, bank=bank, condition_on=["age"])
    with pytest.raises(LatentroomError, match="on itself"):
        LinearBoundary().find(generator, "smile", scorer=scorer, bank=bank, condition_on="smile")
    with pytest.raises(LatentroomError, match="out of range"):
        LinearBoundary().find(generator, "smile", scorer=scorer, bank=bank, layers="0-9")
    with pytest.raises(LatentroomError, match="style modulation weights"):
        SeFa().find(generator, "smile", scorer=scorer, bank=bank)


def test_ganspace_picks_the_planted_principal_axis() -> None:
    # A mapping with one dominant axis that is also the attribute: PCA's first
    # component, found and sign-aligned.
    generator, _ = planted_world(style_dim=8, n_latent=4)
    axis = unit_vectors(8, 1, seed=9)[0]
    stretch = torch.eye(8, dtype=torch.float32) + 3.0 * torch.from_numpy(np.outer(axis, axis)).float()
    generator.mapping = lambda z, truncation=1.0: truncation * z.float() @ stretch  # type: ignore[method-assign]
    scorer = PlantedScorer({"width": -axis, "other": unit_vectors(8, 1, seed=2)[0]}, 8, 4)
    direction = GANSpace().find(generator, "width", scorer=scorer, samples=500, pca_samples=4000)
    details = direction.provenance.details
    assert details["component"] == 0 and details["correlation"] > 0.9
    assert cosine(direction.vector, -axis) > 0.99  # sign aligned: positive strength raises width
    rows = GANSpace().components(generator, 3, scorer=scorer, samples=500, pca_samples=4000)
    assert rows[0]["label"] == "width" and rows[0]["strength"] > rows[1]["strength"]


def _modulation_rows(generator: torch.nn.Module, layers: list[int]) -> torch.Tensor:
    """The SeFa matrix built independently from state-dict names: conv1 reads W+ layer
    0 and convs.i reads layer i + 1 (the to-RGB layers are left out, as in SeFa)."""
    sd = generator.state_dict()
    rows = []
    for layer in layers:
        key = "conv1.conv.modulation.weight" if layer == 0 else f"convs.{layer - 1}.conv.modulation.weight"
        if key in sd:
            rows.append(sd[key].double())
    a = torch.cat(rows)
    return a / a.norm(dim=1, keepdim=True)


@pytest.mark.parametrize("layers", ["all", "coarse", "2-4"])
def test_sefa_equals_a_direct_eigendecomposition(stylegan, layers: str) -> None:
    source = SeFa()
    params = {"layers": layers, "include_torgb": False, "seed": 0}
    basis, values, _ = source.basis(stylegan, params)
    a = _modulation_rows(stylegan, list(parse_layers(layers, stylegan.n_latent)))
    eigenvalues, eigenvectors = torch.linalg.eigh(a.T @ a)
    expected_values = eigenvalues.flip(0).numpy()
    expected = eigenvectors.flip(1).T.numpy()
    assert np.allclose(values, expected_values, rtol=1e-8, atol=1e-10)
    for k in range(5):  # leading components, up to sign
        assert abs(float(basis[k] @ expected[k])) > 1 - 1e-8


def test_sefa_find_returns_a_labelled_eigenvector(stylegan) -> None:
    scorer = image_stats_scorer()
    direction = SeFa().find(stylegan, "brightness", scorer=scorer, samples=48, components=6, layers="coarse")
    a = _modulation_rows(stylegan, list(layer_groups(stylegan.n_latent)["coarse"]))
    _, eigenvectors = torch.linalg.eigh(a.T @ a)
    k = direction.provenance.details["component"]
    assert 0 <= k < 6 and direction.layer_spec == "coarse"
    assert abs(float(direction.vector @ eigenvectors[:, -1 - k].numpy())) > 1 - 1e-6
    assert direction.provenance.details["correlation"] >= 0  # sign aligned with the attribute


def test_layer_mask_edits_only_its_layers(stylegan) -> None:
    direction = Direction.from_vector(np.ones(stylegan.style_dim), stylegan.n_latent,
                                      Provenance("test", "x"), "1,3-4", scale=0.5)
    ws = torch.randn(3, stylegan.n_latent, stylegan.style_dim)
    edited = edit_latents(ws, direction, 2.0)
    untouched = [0, 2, 5]
    assert torch.equal(edited[:, untouched], ws[:, untouched])
    step = torch.tensor(direction.vector) * 2.0 * 0.5
    assert torch.allclose(edited[:, [1, 3, 4]] - ws[:, [1, 3, 4]], step.expand(3, 3, -1), atol=1e-6)
    # per-sample strengths, and plain w broadcast to W+ first
    per_sample = edit_latents(ws[:, 0], direction, torch.tensor([0.0, 1.0, -1.0]))
    assert torch.equal(per_sample[0], ws[0, 0].expand(stylegan.n_latent, -1))
    assert torch.allclose(per_sample[2, 1] - ws[2, 0], -step / 2, atol=1e-6)
    # the edit changes the image only through those layers' styles
    assert stylegan.synthesis(edited).shape == (3, 3, stylegan.size, stylegan.size)
    with pytest.raises(LatentroomError, match="cannot edit latents"):
        edit_latents(torch.zeros(1, 5, stylegan.style_dim), direction, 1.0)


def test_layer_restricted_direction_moves_only_layer_attributes() -> None:
    # An attribute read from the fine layers only is unmoved by a coarse edit.
    generator, _ = planted_world()
    v = unit_vectors(16, 1, seed=5)[0]
    scorer = PlantedScorer({"fine_thing": v}, 16, 6, layers={"fine_thing": (4, 5)})
    found = MeanDifference().find(generator, "fine_thing", scorer=scorer, samples=1000)
    coarse, fine = found.with_layers("coarse"), found.with_layers("fine")
    reports = evaluate_directions(generator, [coarse, fine], scorer, samples=100)
    assert abs(reports[0]["target_change"]) < 1e-9 and reports[1]["target_change"] > 0.9
    choice, table = suggest_layers(generator, scorer, found.vector, found.scale, "fine_thing", samples=16)
    assert choice == "fine" and table["coarse"]["target"] < 1e-9


def test_evaluate_measures_the_planted_slope(world) -> None:
    generator, scorer, bank = world
    direction = LinearBoundary().find(generator, "smile", scorer=scorer, bank=bank)
    [report] = evaluate_directions(generator, [direction], scorer, samples=300, strengths=(-2, -1, 0, 1, 2))
    # attribute = w . u, edit adds s * scale * v to every layer: slope = scale * (v . u)
    expected = direction.scale * float(direction.vector @ scorer.vectors["smile"])
    assert report["target_change"] == pytest.approx(expected, rel=1e-4)
    for name, vector in scorer.vectors.items():
        if name not in ("smile", "glasses"):
            assert report["change"][name] == pytest.approx(direction.scale * float(direction.vector @ vector), abs=1e-4)
    assert report["others_max_attribute"] in scorer.vectors and report["samples"] == 300
    # p10 -> p90 of a unit-variance linear attribute is 2.56 sd: inside the +-3 range
    assert report["strength_p10_to_p90"] == pytest.approx(2.563, rel=0.1)
    assert report["within_range"]
    # the way back must fit too: 2.56 up fits inside (-2, 4), 2.56 down does not
    [lopsided] = evaluate_directions(generator, [replace(direction, strength_range=(-2.0, 4.0))], scorer, samples=300)
    assert not lopsided["within_range"] and not lopsided["meets_criterion"]


def test_render_strip_layout(stylegan) -> None:
    direction = Direction.from_vector(np.ones(stylegan.style_dim), stylegan.n_latent, Provenance("t", "x"))
    images = render_strip(stylegan, direction, rows=2)
    assert images.shape == (10, 3, stylegan.size, stylegan.size)
    with torch.no_grad():
        plain = stylegan.synthesis(sample_w(stylegan, 2, EVAL_SEED))
    assert torch.allclose(images[2], plain[0], atol=1e-5)  # middle column: strength 0
    assert torch.allclose(images[7], plain[1], atol=1e-5)
    assert not torch.allclose(images[0], images[2])


def test_cross_validated_penalty_beats_a_weak_one_on_noisy_few_samples() -> None:
    # 256-d latents with very unequal spread, 300 samples, a label that is a noisy
    # function of one direction: the weakly penalised normal chases noise in the
    # low-variance coordinates, cross-validation shrinks it toward the truth.
    rng = np.random.default_rng(3)
    spread = np.geomspace(3.0, 0.03, 256)
    x = rng.standard_normal((300, 256)) * spread
    truth = unit_vectors(256, 1, seed=5)[0]
    y = ((x @ truth + 0.8 * rng.standard_normal(300)) > 0).astype(np.float64)
    l2, losses = choose_l2(x, y)
    assert set(losses) == {f"{v:g}" for v in L2_GRID} and losses[f"{l2:g}"] == min(losses.values())
    weak, _ = fit_logistic(x, y, L2_GRID[0])
    chosen, _ = fit_logistic(x, y, l2)
    assert l2 > L2_GRID[0]
    assert cosine(chosen, truth) > cosine(weak, truth) + 0.1


def test_linear_boundary_records_its_cross_validated_penalty(world) -> None:
    generator, scorer, bank = world
    direction = LinearBoundary().find(generator, "smile", scorer=scorer, bank=bank)
    record = direction.provenance.details["l2_cv"]["smile"]
    assert record["chosen"] in L2_GRID and len(record["held_out_loss"]) == len(L2_GRID)
    fixed = LinearBoundary().find(generator, "smile", scorer=scorer, bank=bank, l2=0.01)
    assert "l2_cv" not in fixed.provenance.details and fixed.provenance.parameters["l2"] == 0.01


def test_optimized_direction_leaks_less_than_the_mean_difference(world) -> None:
    # beard's planted vector has cosine 0.6 with hair_length's: the mean difference
    # drags hair_length along; the optimised direction is trained to leave it alone.
    generator, scorer, bank = world
    plain = MeanDifference().find(generator, "beard", scorer=scorer, bank=bank)
    trained = Optimized().find(generator, "beard", scorer=scorer, bank=bank, steps=150, lr=0.05)
    plain_report, trained_report = evaluate_directions(generator, [plain, trained], scorer, samples=200)
    assert trained_report["target_change"] > 0.5 * plain_report["target_change"] > 0
    leak = [abs(r["change"]["hair_length"]) / r["target_change"] for r in (plain_report, trained_report)]
    assert leak[1] < 0.25 * leak[0]
    record = trained.provenance.details["optimized"]
    assert record["last_gain_leak"][1] < record["first_gain_leak"][1]  # training reduced the leak


def test_optimized_isolates_a_strongly_entangled_attribute_on_an_anisotropic_w() -> None:
    # beard = 0.9 hair_length + a little of its own, and W spreads unevenly: the
    # mean difference leaks almost as much hair_length as it adds beard. Trading gain
    # against leak by a difference barely moves off it (leak/gain stayed 0.85 with
    # the earlier objective); the ratio objective gets under the criterion.
    smile, age, hair, other = unit_vectors(16, 4, seed=3)
    ortho = other - (other @ hair) * hair
    beard = 0.9 * hair + np.sqrt(1 - 0.81) * ortho / np.linalg.norm(ortho)
    scorer = PlantedScorer({"smile": smile, "age": age, "hair_length": hair, "beard": beard}, 16, 6)
    generator = PlantedGenerator(16, 6, spread=np.array([1.0] * 8 + [0.1] * 8))
    bank = draw_bank(generator, scorer, 2000, seed=0)
    plain = MeanDifference().find(generator, "beard", scorer=scorer, bank=bank)
    trained = Optimized().find(generator, "beard", scorer=scorer, bank=bank, steps=150, lr=0.05)
    plain_report, trained_report = evaluate_directions(generator, [plain, trained], scorer, samples=200)
    assert plain_report["others_max_abs"] > 0.8 * plain_report["target_change"]
    assert trained_report["isolated"] and trained_report["others_max_abs"] < 0.2 * trained_report["target_change"]
    assert trained_report["target_change"] > 0.25 * plain_report["target_change"]


def test_optimized_raises_every_part_of_a_composed_attribute() -> None:
    # "old" reads three times as strongly as "smile" and runs against it (cosine -0.6):
    # one summed score is raised fastest by ageing while the smile falls; the composed
    # attribute old+smile (its two columns) must raise both.
    axes = np.eye(16)
    old, smile = 3 * axes[0], -0.6 * axes[0] + 0.8 * axes[1]
    hair = unit_vectors(16, 1, seed=5)[0]
    generator = PlantedGenerator(16, 6)
    summed = PlantedScorer({"old_smile": old + smile, "hair": hair}, 16, 6)
    parts = PlantedScorer({"old": old, "smile": smile, "hair": hair}, 16, 6)
    found = {attribute: Optimized().find(generator, attribute, scorer=scorer, steps=150, lr=0.05,
                                         bank=draw_bank(generator, scorer, 2000, seed=0))
             for attribute, scorer in (("old_smile", summed), ("old+smile", parts))}
    moved = {name: (d.scale * d.vector @ old, d.scale * d.vector @ smile) for name, d in found.items()}
    assert moved["old_smile"][0] > 0 > moved["old_smile"][1]  # measured 2.82, -0.31
    assert min(moved["old+smile"]) > 0.3  # measured 1.18, 0.42
    assert found["old+smile"].provenance.attribute == "old+smile"
    # Evaluated as the slower of its parts; the parts are not each other's leak.
    report = evaluate_directions(generator, [found["old+smile"]], parts, samples=200)[0]
    assert set(report["change"]) == {"old", "smile", "hair"} and report["others_max_attribute"] == "hair"
    assert report["target_change"] == pytest.approx(min(report["change"]["old"], report["change"]["smile"]))
    check_attributes(parts, ["old+smile"])
    with pytest.raises(ScorerError, match="unknown attribute 'old\\+young'"):
        check_attributes(parts, ["old+young"])
    with pytest.raises(LatentroomError, match="needs explicit layers"):
        Optimized().find(generator, "old+smile", scorer=parts, bank=draw_bank(generator, parts, 200, seed=0),
                         layers="auto")
    with pytest.raises(LatentroomError, match="unknown attribute 'young'"):
        Optimized().find(generator, "old+young", scorer=parts, bank=draw_bank(generator, parts, 200, seed=0))
    # The sampling sources follow one column: they say so instead of failing at the bank.
    for source in (LinearBoundary(), MeanDifference()):
        with pytest.raises(LatentroomError, match=f"'{source.name}' follows one scorer column, and 'old\\+smile' "
                                                  "names two: only 'optimized'"):
            source.find(generator, "old+smile", scorer=parts, bank=draw_bank(generator, parts, 200, seed=0))


def test_optimized_can_start_from_the_conditioned_mean_difference(world) -> None:
    # With no training steps the direction is its start: beard's raw mean difference
    # carries hair_length (cosine 0.6); the conditioned start has it projected out.
    generator, scorer, bank = world
    starts = [Optimized().find(generator, "beard", scorer=scorer, bank=bank, steps=0, start=start)
              for start in ("mean-difference", "conditioned")]
    raw, conditioned = evaluate_directions(generator, starts, scorer, samples=200)
    assert abs(raw["change"]["hair_length"]) > 0.4 * raw["target_change"]  # measured 0.60
    assert abs(conditioned["change"]["hair_length"]) < 0.05 * conditioned["target_change"]
    assert starts[1].provenance.parameters["start"] == "conditioned"
    with pytest.raises(LatentroomError, match="start='middle': expected one of mean-difference, conditioned"):
        Optimized().find(generator, "beard", scorer=scorer, bank=bank, steps=0, start="middle")


def test_optimized_trains_only_the_direction(stylegan) -> None:
    before = {k: v.clone() for k, v in stylegan.state_dict().items()}
    direction = Optimized().find(stylegan, "brightness", scorer=image_stats_scorer(), samples=32, steps=3,
                                 batch_size=4, layers="coarse")
    assert direction.layer_spec == "coarse" and np.isclose(np.linalg.norm(direction.vector), 1)
    assert all(p.grad is None for p in stylegan.parameters())
    assert all(torch.equal(before[k], v) for k, v in stylegan.state_dict().items())


def test_optimized_needs_a_differentiable_scorer(world) -> None:
    generator, scorer, bank = world

    def numbers_only(images: torch.Tensor) -> dict[str, np.ndarray]:
        return scorer(images)

    with pytest.raises(LatentroomError, match="differentiable scorer"):
        Optimized().find(generator, "smile", scorer=numbers_only, bank=bank)


def test_training_scores_soften_saturated_binary_attributes() -> None:
    # A classifier far from its boundary: probabilities saturate and their gradient
    # vanishes; the softened logit keeps a usable one.
    generator, scorer = planted_world()
    sharp = replace(scorer, binary=frozenset({"beard"}), sharpness=60.0)
    ws = to_wplus(sample_w(generator, 64, seed=1), generator.n_latent).requires_grad_(True)
    column = sharp.attributes.index("beard")
    probability = sharp.torch_scores(generator.synthesis(ws))[:, column].sum()
    softened = training_scores(sharp, generator.synthesis(ws), temperature=20.0)
    (grad_p,) = torch.autograd.grad(probability, [ws])
    (grad_s,) = torch.autograd.grad(softened[:, column].sum(), [ws])
    # each sample's own gradient (the samples are independent): for the typical sample
    # the probability's is nil, the softened score's is not
    typical_p, typical_s = (g.flatten(1).norm(dim=1).median() for g in (grad_p, grad_s))
    assert typical_s > 100 * typical_p
    assert torch.allclose(softened[:, column], torch.sigmoid(sharp.torch_logits(generator.synthesis(ws))[:, column] / 20))
    # continuous columns are the scores themselves; a scorer without logits is left as it is
    smile = sharp.attributes.index("smile")
    assert torch.equal(softened[:, smile], sharp.torch_scores(generator.synthesis(ws))[:, smile])
    no_logits = SimpleNamespace(attributes=sharp.attributes, binary=sharp.binary, torch_scores=sharp.torch_scores)
    assert torch.equal(training_scores(no_logits, generator.synthesis(ws), 20.0), sharp.torch_scores(generator.synthesis(ws)))


def test_response_normals_are_the_generators_mean_gradient(world) -> None:
    generator, scorer, bank = world
    normals = response_normals(generator, scorer, bank.ws[:128], ["hair_length", "glasses"], range(6), batch_size=50)
    assert cosine(normals["hair_length"], scorer.vectors["hair_length"]) > 0.9999
    assert cosine(normals["glasses"], scorer.vectors["glasses"]) > 0.9999  # binary: through the softened logit
    layered = replace(scorer, layers={"smile": (0, 1)})
    with pytest.raises(LatentroomError, match="'smile' does not respond to any shift of w on layers"):
        response_normals(generator, layered, bank.ws[:16], ["smile"], [4, 5])


def test_response_conditioning_holds_where_the_boundary_is_biased() -> None:
    # An anisotropic W (as a trained mapping network's): the fitted boundary of
    # hair_length is tilted towards W's spread, so projecting it out leaves a leak;
    # projecting out the generator's response leaves none.
    _, scorer = planted_world()
    generator = PlantedGenerator(16, 6, spread=np.array([1.0] * 8 + [0.2] * 8))
    bank = draw_bank(generator, scorer, 2000, seed=0)
    source = LinearBoundary()
    plain, by_boundary, by_response = (
        source.find(generator, "beard", scorer=scorer, bank=bank, **extra)
        for extra in ({}, {"condition_on": ["hair_length"]},
                      {"condition_on": ["hair_length"], "condition_by": "response"}))
    reports = evaluate_directions(generator, [plain, by_boundary, by_response], scorer, samples=200)
    leak = [abs(r["change"]["hair_length"]) / r["target_change"] for r in reports]
    assert leak[2] < 0.01 * leak[0] and leak[2] < 0.1 * leak[1] and leak[1] < leak[0]
    assert by_response.provenance.parameters["condition_by"] == "response"
    assert abs(by_response.provenance.details["conditioned_on"]["hair_length"]["cosine_after"]) < 1e-9


def test_condition_by_is_checked(world) -> None:
    generator, scorer, bank = world
    with pytest.raises(LatentroomError, match="condition_by must be 'boundary' or 'response', got 'both'"):
        LinearBoundary().find(generator, "beard", scorer=scorer, bank=bank, condition_by="both")

    def numbers_only(images: torch.Tensor) -> dict[str, np.ndarray]:
        return scorer(images)

    with pytest.raises(LatentroomError, match="response conditioning needs a differentiable scorer"):
        MeanDifference().find(generator, "beard", scorer=numbers_only, bank=bank, condition_on=["hair_length"],
                              condition_by="response")
