"""The second clustering stage: neighbour mining, SCAN loss, label-free head choice, and the ceilings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from hepclust.contrastive.references import linear_probe
from hepclust.contrastive.scan import (Heads, ScanConfig, choose_partition, head_losses, mine_neighbours,
                                      neighbour_agreement, scan_loss, select_head, train_heads)
from hepclust.metrics import hungarian_accuracy


def test_mined_neighbours_equal_brute_force_cosine_neighbours():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(300, 7))
    got = mine_neighbours(torch.from_numpy(z), k=6, chunk=64).numpy()  # several chunks
    unit = z / np.linalg.norm(z, axis=1, keepdims=True)
    ref = NearestNeighbors(n_neighbors=7, metric="cosine", algorithm="brute").fit(unit).kneighbors(unit)[1]
    assert np.all(ref[:, 0] == np.arange(300))  # sklearn returns each point first; ours excludes it
    np.testing.assert_array_equal(got, ref[:, 1:])


def test_mining_more_neighbours_than_other_images_is_refused():
    with pytest.raises(ValueError, match="between 1 and"):
        mine_neighbours(torch.zeros(5, 3), k=5)


def test_scan_loss_equals_hand_computation():
    pa = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], dtype=torch.float64)
    pb = torch.tensor([[0.6, 0.3, 0.1], [0.3, 0.3, 0.4]], dtype=torch.float64)
    dots = [0.7 * 0.6 + 0.2 * 0.3 + 0.1 * 0.1, 0.1 * 0.3 + 0.8 * 0.3 + 0.1 * 0.4]
    consistency = -(math.log(dots[0]) + math.log(dots[1])) / 2
    mean = [0.4, 0.5, 0.1]
    entropy = -sum(m * math.log(m) for m in mean)
    total, c, e = scan_loss(pa, pb, entropy_weight=2.0)
    assert c.item() == pytest.approx(consistency, rel=1e-12)
    assert e.item() == pytest.approx(entropy, rel=1e-12)
    assert total.item() == pytest.approx(consistency - 2.0 * entropy, rel=1e-12)


def _blobs(n_per: int = 60, k: int = 3, dim: int = 8, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = 6.0 * np.eye(k, dim)
    y = np.repeat(np.arange(k), n_per)
    return torch.from_numpy(centres[y] + rng.normal(size=(k * n_per, dim))).float(), y


def test_label_free_choice_picks_the_head_that_follows_the_neighbours():
    x, y = _blobs()
    heads = Heads(x.shape[1], 3, heads=2)
    with torch.no_grad():  # head 0 reads the blob coordinates (the truth); head 1 a random projection
        heads.linear[0].weight.copy_(4.0 * torch.eye(3, x.shape[1]))
        heads.linear[0].bias.zero_()
        heads.linear[1].weight.copy_(torch.randn(3, x.shape[1], generator=torch.Generator().manual_seed(0)))
        heads.linear[1].bias.zero_()
    total, _, _ = head_losses(heads, x, mine_neighbours(x, 10), entropy_weight=5.0)
    pred = heads(x).argmax(2).numpy()
    assert hungarian_accuracy(y, pred[0]) == 1.0 and hungarian_accuracy(y, pred[1]) < 0.9
    assert select_head(total) == 0


def test_select_head_takes_the_lowest_loss_and_the_first_on_a_tie():
    assert select_head(np.array([0.3, -1.0, 2.0, -1.0])) == 1


def test_scan_heads_recover_separated_blobs_from_their_views():
    x, y = _blobs()
    views = torch.stack([x + 0.3 * torch.randn(x.shape, generator=torch.Generator().manual_seed(v)) for v in range(3)])
    res = train_heads(views, x, x, ScanConfig(n_clusters=3, heads=3, neighbours=10, epochs=60, batch_size=30))
    with torch.no_grad():
        pred = res.heads(x)[res.chosen].argmax(1).numpy()
    assert hungarian_accuracy(y, pred) == 1.0
    assert res.losses.shape == (3,) and res.chosen == int(np.argmin(res.losses))


def test_linear_probe_separates_linearly_separable_classes():
    x, y = _blobs(seed=1)
    x_test, y_test = _blobs(seed=2)
    assert np.mean(linear_probe(x.numpy(), y, x_test.numpy()) == y_test) == 1.0


def test_kmeans_fitted_on_training_latents_assigns_held_out_points_to_the_training_centroids():
    """Held-out points all near one training cluster stay together, where k-means fitted on them splits them."""
    from hepclust.contrastive.baselines import kmeans_fit, kmeans_raw

    rng = np.random.default_rng(0)
    train = np.concatenate([rng.normal(-5.0, 0.3, (50, 2)), rng.normal(5.0, 0.3, (50, 2))])
    test = rng.normal(5.0, 0.3, (40, 2))
    assert np.unique(kmeans_fit(train, 2, seed=0).predict(test)).size == 1
    assert np.unique(kmeans_raw(test, 2, seed=0)).size == 2
    # two held-out points, one near each training blob, land in different clusters
    pair = kmeans_fit(train, 2, seed=0).predict(np.array([[-5.0, -5.0], [5.0, 5.0]]))
    assert pair[0] != pair[1]


def test_stability_summary_gives_median_and_minimum_over_seeds(tmp_path):
    from hepclust.contrastive.study import stability_summary

    paths = []
    for seed, acc in ((1, 0.9), (2, 0.7), (3, 0.8)):
        p = tmp_path / f"seed_{seed}.csv"
        pd.DataFrame([{"imageset": "digits", "seed": seed, "method": "contrastive clustering", "uses_labels": False,
                       "hungarian_accuracy": acc, "nmi": acc - 0.1, "ari": acc - 0.2}]).to_csv(p, index=False)
        paths.append(str(p))
    rows, summary = stability_summary(paths)
    assert len(rows) == 3
    s = summary.iloc[0]
    assert s["n_seeds"] == 3
    assert (s["hungarian_accuracy_median"], s["hungarian_accuracy_min"], s["hungarian_accuracy_max"]) == \
        pytest.approx((0.8, 0.7, 0.9))
    assert s["ari_min"] == pytest.approx(0.5)


def test_more_neighbours_than_training_images_fails_naming_the_config_key():
    from hepclust.contrastive.study import scan_stage
    from hepclust.errors import ConfigError

    rng = np.random.default_rng(0)
    feats = rng.normal(size=(8, 4)).astype(np.float32)
    emb = {"probabilities": np.full((5, 2), 0.5, np.float32), "train_features": feats, "train_latent": feats,
           "train_view_features": np.stack([feats, feats]), "features": feats[:5], "latent": feats[:5],
           "train_view_latent": np.stack([feats, feats])}
    params = {"views": 2, "heads": 2, "neighbours": 8, "entropy_weight": 5.0, "epochs": 1, "batch_size": 4,
              "learning_rate": 1e-3, "weight_decay": 1e-4, "overcluster": 3, "seed": 0,
              "umap": {"components": 2, "neighbours": 3}}
    with pytest.raises(ConfigError, match=r"contrastive\.scan\.neighbours.*8 training images"):
        scan_stage(emb, params)
    with pytest.raises(ConfigError, match=r"contrastive\.scan\.umap\.neighbours.*=8.*\(7\)"):
        scan_stage(emb, {**params, "neighbours": 3, "umap": {"components": 2, "neighbours": 8}})


def test_neighbour_agreement_counts_the_pairs_that_share_a_cluster():
    clusters = np.array([0, 0, 1, 1, 1])
    neighbours = np.array([[1, 2], [0, 3], [3, 4], [2, 4], [0, 1]])  # pairs in the same cluster: 1, 1, 2, 2, 0
    assert neighbour_agreement(clusters, neighbours) == pytest.approx(6 / 10)
    with pytest.raises(ValueError, match="same images"):
        neighbour_agreement(clusters[:3], neighbours)


def test_choice_of_partition_keeps_the_one_that_follows_the_neighbours_and_never_a_merged_one():
    x, y = _blobs()
    neighbours = mine_neighbours(x, 10).numpy()
    shuffled = np.random.default_rng(0).permutation(y)
    merged = np.zeros_like(y)  # agrees with every neighbour, but uses one cluster of three
    picked, agreement = choose_partition([shuffled, merged, y], neighbours, n_clusters=3)
    assert picked == 2 and agreement[1] == 1.0 and agreement[2] == 1.0 and agreement[0] < 0.5
    assert choose_partition([y, y.copy()], neighbours, 3)[0] == 0  # a tie: the first


def _embedding(latent: np.ndarray, features: np.ndarray, n_test: int) -> dict[str, np.ndarray]:
    """An embedding file's content: the first n_test images double as the held-out set."""
    rng = np.random.default_rng(1)
    views = np.stack([features + 0.1 * rng.normal(size=features.shape) for _ in range(2)]).astype(np.float32)
    view_latent = np.stack([latent + 0.1 * rng.normal(size=latent.shape) for _ in range(2)]).astype(np.float32)
    return {"probabilities": np.full((n_test, 3), 1 / 3, np.float32), "train_features": features,
            "train_latent": latent, "train_view_features": views, "features": features[:n_test],
            "view_features": views[:, :n_test], "latent": latent[:n_test], "train_view_latent": view_latent,
            "view_latent": view_latent[:, :n_test]}


SCAN_PARAMS = {"views": 2, "heads": 3, "neighbours": 10, "entropy_weight": 5.0, "epochs": 40, "batch_size": 30,
               "learning_rate": 1e-2, "weight_decay": 1e-4, "overcluster": 4, "seed": 0,
               "umap": None}


def test_clusterer_reports_kmeans_on_the_latent_when_the_heads_cannot_follow_the_neighbours():
    """Latent: three separated blobs (neighbours and k-means right); encoder features: noise the heads cannot split
    by blob.  The answer is k-means, and the heads table marks its row as the pick."""
    from hepclust.contrastive.study import KMEANS_CANDIDATE, head_table, scan_stage

    latent, y = _blobs()
    noise = np.random.default_rng(2).normal(size=(len(y), 8)).astype(np.float32)
    data, attrs = scan_stage(_embedding(latent.numpy(), noise, 90), SCAN_PARAMS)
    assert attrs["picked"] == KMEANS_CANDIDATE and attrs["kmeans_agreement"] > attrs["scan_agreement"]
    np.testing.assert_array_equal(data["cluster"], data["kmeans_cluster"])
    assert hungarian_accuracy(y[:90], data["cluster"]) == 1.0
    assert hungarian_accuracy(y[:90], data["scan_cluster"]) < 0.8
    table = head_table(data, attrs, y[:90])
    picked = table[table["picked_without_labels"] & (table["n_clusters"] == 3)]
    assert list(picked["candidate"]) == [KMEANS_CANDIDATE] and list(picked["head"]) == [-1]
    assert table.loc[table["n_clusters"] == 4, "picked_without_labels"].sum() == 1  # over-clustering: its head


def test_with_a_umap_the_kmeans_candidate_follows_elongated_classes_that_kmeans_on_the_latent_cuts_across():
    """Latent: two long thin parallel arcs on the sphere (one class each; k-means on them cuts across both);
    features: noise.  With ``umap`` set, the k-means candidate runs on the UMAP of the latent, recovers the arcs,
    and is the answer; the row of k-means on the latent itself stays beside it."""
    from hepclust.contrastive.study import UMAP_KMEANS_CANDIDATE, head_table, scan_stage

    from .test_contrastive_manifold import _long_parallel_clouds

    latent, y = _long_parallel_clouds(300, seed=0)
    latent = latent.astype(np.float32)
    noise = np.random.default_rng(2).normal(size=(len(y), 8)).astype(np.float32)
    test = np.r_[0:60, 300:360]  # held out: 60 of each arc
    emb = {**_embedding(latent, noise, 120), "latent": latent[test], "features": noise[test],
           "probabilities": np.full((120, 2), 0.5, np.float32)}
    rng = np.random.default_rng(3)  # views: the arcs' points moved by a twentieth of their gap
    emb["train_view_latent"] = np.stack([latent + 0.0075 * rng.normal(size=latent.shape) for _ in range(2)])
    emb["view_features"] = emb["train_view_features"][:, test]
    params = {**SCAN_PARAMS, "overcluster": 3, "umap": {"components": 2, "neighbours": 15}}
    data, attrs = scan_stage(emb, params)
    assert attrs["picked"] == attrs["kmeans_candidate"] == UMAP_KMEANS_CANDIDATE
    assert hungarian_accuracy(y[test], data["cluster"]) > 0.95
    assert hungarian_accuracy(y[test], data["latent_kmeans_cluster"]) < 0.7
    table = head_table(data, attrs, y[test])
    picked = table[table["picked_without_labels"] & (table["n_clusters"] == 2)]
    assert list(picked["candidate"]) == [UMAP_KMEANS_CANDIDATE]


def test_clusterer_keeps_the_scan_head_when_both_candidates_agree_equally():
    """Blobs in both spaces: the SCAN head and k-means are both right, the agreements tie, and the tie keeps the
    SCAN head (the first candidate)."""
    from hepclust.contrastive.study import SCAN_CANDIDATE, scan_stage

    latent, y = _blobs()
    data, attrs = scan_stage(_embedding(latent.numpy(), latent.numpy(), 90), SCAN_PARAMS)
    assert attrs["scan_agreement"] == attrs["kmeans_agreement"]
    assert attrs["picked"] == SCAN_CANDIDATE
    np.testing.assert_array_equal(data["cluster"], data["scan_cluster"])
    assert hungarian_accuracy(y[:90], data["cluster"]) == 1.0


def test_view_averaged_scores_are_the_mean_of_each_heads_softmax_over_the_image_and_its_views():
    from hepclust.contrastive.scan import Heads, head_probabilities

    torch.manual_seed(0)
    heads = Heads(4, 3, 2)
    x = torch.randn(5, 4)
    views = torch.randn(3, 5, 4)
    plain = head_probabilities(heads, x)
    averaged = head_probabilities(heads, x, views)
    by_hand = np.zeros((2, 5, 3))
    for h, lin in enumerate(heads.linear):
        for img in (x, *views):
            by_hand[h] += torch.softmax(lin(img), dim=1).detach().numpy() / 4
    np.testing.assert_allclose(averaged, by_hand, atol=1e-6)
    np.testing.assert_allclose(plain[0], torch.softmax(heads.linear[0](x), dim=1).detach().numpy(), atol=1e-6)
    assert not np.allclose(plain, averaged)


def test_view_averaging_scores_the_heads_on_the_held_out_views_it_is_given():
    """The held-out views carry the blobs, the clean held-out features are noise: only averaging over the
    views (weight 2 of 3) recovers the blobs for the SCAN head."""
    from hepclust.contrastive.study import scan_stage

    latent, y = _blobs()
    emb = _embedding(latent.numpy(), latent.numpy(), 90)
    emb["features"] = np.random.default_rng(3).normal(size=emb["features"].shape).astype(np.float32) * 0.01
    plain, _ = scan_stage(emb, SCAN_PARAMS)
    averaged, _ = scan_stage(emb, {**SCAN_PARAMS, "average_views": True})
    assert hungarian_accuracy(y[:90], averaged["scan_cluster"]) == 1.0
    assert hungarian_accuracy(y[:90], plain["scan_cluster"]) < 0.9


def test_augmentation_consistency_equals_hand_computation():
    from hepclust.contrastive.scan import augmentation_consistency

    clusters = np.array([0, 0, 1, 1])
    views = np.array([[0, 1, 1, 1], [0, 0, 0, 1]])  # 3 of 4 and 3 of 4 views in their image's cluster
    assert augmentation_consistency(clusters, views) == pytest.approx(6 / 8)
    with pytest.raises(ValueError, match="same images"):
        augmentation_consistency(clusters, views[:, :3])


def test_pick_partition_takes_the_highest_score_among_partitions_that_use_every_cluster():
    from hepclust.contrastive.scan import pick_partition

    full_a, full_b, merged = np.array([0, 1, 2, 2]), np.array([0, 0, 1, 2]), np.zeros(4, int)
    assert pick_partition([full_a, merged, full_b], np.array([0.7, 1.0, 0.8]), 3) == 2
    assert pick_partition([full_a, full_b], np.array([0.8, 0.8]), 3) == 0  # a tie keeps the first
    assert pick_partition([merged, merged], np.array([0.1, 0.2]), 3) == 1  # none full: the highest of all


def test_the_pick_follows_the_configured_criterion():
    """Latent: three blobs (k-means right, neighbours agree with it), but its views scattered far off the blobs;
    encoder features: noise the heads cannot split by blob, with views close to the images.  By neighbours the
    answer is k-means; by augmentation the SCAN head, whose partition the views do not break."""
    from hepclust.contrastive.study import KMEANS_CANDIDATE, SCAN_CANDIDATE, scan_stage

    latent, y = _blobs()
    noise = np.random.default_rng(2).normal(size=(len(y), 8)).astype(np.float32)
    emb = _embedding(latent.numpy(), noise, 90)
    emb["train_view_latent"] = np.random.default_rng(4).normal(0, 6.0, emb["train_view_latent"].shape)
    by_neighbours, a = scan_stage(emb, {**SCAN_PARAMS, "pick": "neighbours"})
    by_views, b = scan_stage(emb, {**SCAN_PARAMS, "pick": "augmentation"})
    assert a["picked"] == KMEANS_CANDIDATE and b["picked"] == SCAN_CANDIDATE
    assert b["scan_view_consistency"] > b["kmeans_view_consistency"] and a["kmeans_agreement"] > a["scan_agreement"]
    np.testing.assert_array_equal(by_views["cluster"], by_views["scan_cluster"])
