"""Self-labelling of the clusterer's answer: confidence by neighbour agreement, and the refinement itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hepclust.contrastive.rules import scan_params
from hepclust.contrastive.scan import mine_neighbours
from hepclust.contrastive.selflabel import SelfLabelConfig, confident_images, image_agreement, self_label
from hepclust.contrastive.study import self_label_config
from hepclust.errors import ConfigError


def test_image_agreement_by_hand():
    clusters = np.array([0, 0, 1, 1])
    neighbours = np.array([[1, 2], [0, 3], [3, 0], [0, 1]])
    # image 0: neighbours 1 (same), 2 (other) -> 0.5; image 1: 0 (same), 3 (other) -> 0.5;
    # image 2: 3 (same), 0 (other) -> 0.5; image 3: 0, 1 (both other) -> 0
    np.testing.assert_array_equal(image_agreement(clusters, neighbours), [0.5, 0.5, 0.5, 0.0])


def test_a_cluster_without_confident_images_keeps_all_of_them():
    clusters = np.array([0, 0, 0, 1, 1])
    neighbours = np.array([[1, 2], [0, 2], [0, 1], [0, 1], [0, 2]])  # cluster 1's images only see cluster 0
    keep = confident_images(clusters, neighbours, threshold=0.8)
    np.testing.assert_array_equal(keep, [True, True, True, True, True])
    # agreements 1, 1, 0.5 (cluster 0) and 0.5, 0.5 (cluster 1): image 2 drops out, cluster 1 has no confident
    # image and keeps both
    keep = confident_images(clusters, np.array([[1, 2], [0, 2], [0, 3], [4, 0], [3, 1]]), 0.8)
    np.testing.assert_array_equal(keep, [True, True, False, True, True])


def _blobs(seed: int = 0, n: int = 200, dim: int = 16, gap: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], n)
    centres = rng.normal(size=(3, dim))
    centres *= gap / np.linalg.norm(centres[0] - centres[1])
    return centres[y] + rng.normal(scale=0.6, size=(3 * n, dim)), y


def test_self_labelling_repairs_a_partition_with_scattered_errors():
    """Truth known: three blobs; the partition given has 12 % of the images in a wrong cluster.  Those have
    neighbours of their true cluster, so they are not targets, and the classifier puts them back."""
    x, y = _blobs()
    rng = np.random.default_rng(1)
    wrong = rng.random(y.size) < 0.12
    clusters = np.where(wrong, (y + 1 + rng.integers(0, 2, y.size)) % 3, y)
    neighbours = mine_neighbours(torch.from_numpy(x), 10).numpy()
    test, y_test = _blobs(seed=0)  # same centres, other noise below
    test = test + np.random.default_rng(2).normal(scale=0.1, size=test.shape)
    res = self_label(x, clusters, neighbours, test, SelfLabelConfig(threshold=0.8))
    assert np.mean(clusters == y) < 0.9
    assert np.mean(res.clusters == y_test) > 0.99  # cluster ids kept: no relabelling needed to compare
    assert res.confident_fraction < 0.9
    assert np.all((res.confidence > 0) & (res.confidence <= 1))
    again = self_label(x, clusters, neighbours, test, SelfLabelConfig(threshold=0.8))
    np.testing.assert_array_equal(again.clusters, res.clusters)


def test_views_are_averaged_with_the_image():
    x, y = _blobs(n=60)
    neighbours = mine_neighbours(torch.from_numpy(x), 5).numpy()
    cfg = SelfLabelConfig()
    plain = self_label(x, y, neighbours, x, cfg)
    same_views = self_label(x, y, neighbours, x, cfg, views=np.stack([x, x]))
    np.testing.assert_allclose(same_views.confidence, plain.confidence, rtol=1e-12)
    np.testing.assert_array_equal(same_views.clusters, plain.clusters)


def test_config_is_resolved_per_image_set_and_checked():
    contrastive = {"scan": {"views": 4, "umap": {}, "self_label": {"lartpc": {"threshold": 0.7}}}}
    assert scan_params(contrastive, "digits")["self_label"] is None
    assert self_label_config(scan_params(contrastive, "digits")) is None
    assert self_label_config(scan_params(contrastive, "lartpc")) == SelfLabelConfig(threshold=0.7)
    with pytest.raises(ConfigError, match="contrastive.scan.self_label.*threshold"):
        self_label_config({"self_label": {"threshold": 1.5}})
    with pytest.raises(ConfigError, match="contrastive.scan.self_label.*confidence"):
        self_label_config({"self_label": {"confidence": 0.5}})
