"""Ensemble members: their seeds, and their embeddings side by side."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from hepclust.contrastive import ensemble, study
from hepclust.contrastive.model import ContrastiveClusterer
from hepclust.contrastive.train import embed

from .imagesets import write_set


def test_member_zero_is_the_configured_training_and_every_member_has_its_own_seed():
    params = {"epochs": 3, "seed": 21, "augment": {"translate": 0.2}}
    assert ensemble.member_params(params, 0) == params
    seeds = [ensemble.member_params(params, m)["seed"] for m in range(4)]
    assert seeds == [21, 1021, 2021, 3021]
    # the members of the stability benchmark's neighbouring seeds never share a training
    others = {ensemble.member_seed(s, m) for s in (22, 23, 24, 25) for m in range(4)}
    assert not set(seeds) & others
    assert ensemble.member_params(params, 2)["augment"] == params["augment"]
    with pytest.raises(ValueError, match="'seed'"):
        ensemble.member_params({"epochs": 3}, 1)


def test_a_retrained_members_training_is_the_configured_one_with_the_runs_seed_and_the_variants_change():
    """What contrastive_retrain_member trains: the configured set (its own seed replaced by the benchmark's),
    the ablation variant's augmentation off, and member m's seed derived as in the default ensemble."""
    from hepclust.contrastive.rules import retrain_params

    configured = {"epochs": 3, "seed": 5, "augment": {"translate": 0.2, "padding": "reflection"}}
    assert retrain_params(configured, "none", 21, 0) == {**configured, "seed": 21}
    assert retrain_params(configured, "none", 21, 2)["seed"] == 2021
    off = retrain_params(configured, "reflection", 22, 1)
    assert off == {"epochs": 3, "seed": 1022, "augment": {"translate": 0.2, "padding": "zeros"}}
    assert configured["augment"]["padding"] == "reflection"  # the config itself is not edited
    with pytest.raises(ValueError, match="unknown ablation variant"):
        retrain_params(configured, "sharpen", 21, 0)


def test_side_by_side_distances_are_the_sum_of_the_members_squared_distances():
    """What the concatenation is for: a k-means or neighbour distance on it weighs every member's latent
    alike, whatever basis or cluster order each training ended in."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 4)), rng.normal(size=(7, 3))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    probs = [rng.dirichlet(np.ones(2), size=7) for _ in range(2)]
    both = ensemble.concatenate([{"latent": a, "probabilities": probs[0]}, {"latent": b, "probabilities": probs[1]}])
    np.testing.assert_allclose(cdist(both["latent"], both["latent"], "sqeuclidean"),
                               cdist(a, a, "sqeuclidean") + cdist(b, b, "sqeuclidean"), atol=1e-12)
    # the first stage's cluster order is a training's own: member 0's head is kept, not mixed with another's
    assert both["probabilities"] is probs[0]


def test_members_embedding_other_images_is_an_error():
    with pytest.raises(ValueError, match="different images"):
        ensemble.concatenate([{"latent": np.zeros((5, 2))}, {"latent": np.zeros((4, 2))}])


def test_embed_sets_puts_each_members_own_embedding_side_by_side_with_the_same_views(tmp_path):
    images = np.random.default_rng(1).random((10, 16, 16)).astype(np.float32)
    data = study.ShardedImages(write_set(tmp_path, images, 5))
    cfg = study.train_config({"n_clusters": 2, "channels": [4, 8], "latent_dim": 3}, "k")
    models = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        models.append((ContrastiveClusterer(2, 3, channels=(4, 8)).eval(), cfg))
    out = study.embed_sets(models, data, study.ShardedImages(data.manifest.path), torch.device("cpu"), 0, 2, 7)
    alone = [embed(m, data, torch.device("cpu"), views=2, augment_cfg=cfg.augment, seed=7) for m, _ in models]
    np.testing.assert_array_equal(out["latent"], np.hstack([x["latent"] for x in alone]))
    np.testing.assert_array_equal(out["train_features"], np.hstack([x["features"] for x in alone]))
    np.testing.assert_array_equal(out["view_features"], np.concatenate([x["view_features"] for x in alone], axis=-1))
    np.testing.assert_array_equal(out["probabilities"], alone[0]["probabilities"])
    assert out["latent"].shape == (10, 6)
