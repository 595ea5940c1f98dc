"""k-means on a UMAP of the latent (the clusterer's k-means candidate), against k-means on the points themselves."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from hepclust.contrastive.manifold import ManifoldConfig, fast_placing, umap_kmeans
from hepclust.contrastive.scan import NeighbourCountError
from hepclust.metrics import hungarian_accuracy


def _long_parallel_clouds(n_per: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes as long thin parallel arcs on the unit sphere in 8-D (as the L2-normalised latent is): 2.4 rad
    long, 0.15 rad apart, 0.01 wide.  Each class is one connected neighbourhood, but k-means, which cuts into cells
    of equal spread, cuts across them."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n_per)
    t = rng.uniform(-1.2, 1.2, 2 * n_per)
    x = rng.normal(0, 0.01, (2 * n_per, 8))
    x[:, 0] += np.cos(t)
    x[:, 1] += np.sin(t)
    x[:, 2] += 0.15 * y
    return x / np.linalg.norm(x, axis=1, keepdims=True), y


def test_umap_kmeans_separates_elongated_classes_that_kmeans_cuts_across():
    train, y_train = _long_parallel_clouds(300, seed=0)
    test, y_test = _long_parallel_clouds(60, seed=1)
    plain = KMeans(2, n_init=10, random_state=0).fit(train).predict(test)
    assert hungarian_accuracy(y_test, plain) < 0.7  # k-means splits the clouds along their length
    views = np.stack([train + 0.0075 * np.random.default_rng(5).normal(size=train.shape)])  # within the arcs' gap
    train_clusters, test_clusters, view_clusters = umap_kmeans(
        train, test, 2, ManifoldConfig(components=2, neighbours=15), seed=0, views=views)
    assert hungarian_accuracy(y_train, train_clusters) > 0.95
    assert hungarian_accuracy(y_test, test_clusters) > 0.95
    assert view_clusters.shape == (1, len(train)) and np.mean(view_clusters[0] == train_clusters) > 0.95


def test_umap_kmeans_is_deterministic_for_a_seed():
    train, _ = _long_parallel_clouds(100, seed=2)
    test, _ = _long_parallel_clouds(20, seed=3)
    cfg = ManifoldConfig(components=2, neighbours=10)
    a, b = umap_kmeans(train, test, 2, cfg, seed=4), umap_kmeans(train, test, 2, cfg, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2] is None


def test_fast_placing_finds_the_neighbours_umap_finds_and_places_the_points_alike():
    """The vectorised distances pick the same neighbours as umap's own per-pair path (the independent reference,
    umap-learn's public transform untouched): new points land where umap puts them, and the swap is undone."""
    from hepclust.umap_cache import import_umap

    umap = import_umap()
    train, _ = _long_parallel_clouds(150, seed=6)
    new, _ = _long_parallel_clouds(40, seed=7)
    reducer = umap.UMAP(n_components=2, n_neighbors=10, min_dist=0.0, metric="cosine", random_state=3, n_jobs=1)
    reducer.fit(train)
    slow = reducer.transform(new)
    distance = reducer._input_distance_func
    with fast_placing(reducer) as fast_reducer:
        fast = fast_reducer.transform(new)
    assert reducer._input_distance_func is distance
    # the distances agree to rounding and give every new point the same 10 neighbours ...
    from sklearn.metrics import pairwise_distances

    own = np.array([[distance(a, b) for b in train] for a in new])
    vectorised = pairwise_distances(new, train, metric="cosine")
    np.testing.assert_allclose(vectorised, own, atol=1e-12)
    np.testing.assert_array_equal(np.sort(np.argsort(vectorised, 1)[:, :10], 1), np.sort(np.argsort(own, 1)[:, :10], 1))
    # ... so the points land where umap puts them, up to its stochastic layout's sensitivity to the last bits
    span = np.ptp(reducer.embedding_)
    shift = np.linalg.norm(fast - slow, axis=1)
    assert np.median(shift) < 0.01 * span and shift.max() < 0.05 * span
    with pytest.raises(TypeError, match="metric='cosine'"):
        with fast_placing(umap.UMAP(metric="euclidean")):
            pass


def test_more_umap_neighbours_than_training_images_is_refused():
    train, _ = _long_parallel_clouds(5, seed=0)
    with pytest.raises(NeighbourCountError, match="neighbours=10.*\\(9\\)"):
        umap_kmeans(train, train, 2, ManifoldConfig(neighbours=10), seed=0)


def test_each_image_set_gets_its_own_umap_entry_and_a_set_not_named_gets_none():
    """An edit of one set's UMAP changes only that set's scan params (so only its clustering reruns)."""
    from hepclust.contrastive.rules import scan_params

    contrastive = {"scan": {"heads": 3, "views": 2, "umap": {"lartpc": {"neighbours": 30, "components": 10}}}}
    lartpc, digits = scan_params(contrastive, "lartpc", seed=7), scan_params(contrastive, "digits", seed=7)
    assert lartpc == {"heads": 3, "seed": 7, "umap": {"components": 10, "neighbours": 30}, "views": 2,
                      "self_label": None}
    assert digits == {"heads": 3, "seed": 7, "umap": None, "views": 2, "self_label": None}
    edited = {"scan": {**contrastive["scan"], "umap": {"lartpc": {"neighbours": 15, "components": 10}}}}
    assert scan_params(edited, "digits", seed=7) == digits and scan_params(edited, "lartpc", seed=7) != lartpc
