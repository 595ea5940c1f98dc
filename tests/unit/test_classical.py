"""Clustering registry: results equal plain scikit-learn; errors name the argument, the study maps it to the config key."""

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture

from hepclust import importance
from hepclust.classical import registry as classical
from hepclust.classical import study
from hepclust.errors import ArgumentError, ConfigError, InputError


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(n_samples=300, centers=[[0, 0], [6, 0], [3, 5]], cluster_std=0.8, random_state=2)


def test_kmeans_labels_equal_sklearn_with_the_same_seed(blobs):
    x, _ = blobs
    r = classical.fit_cluster("kmeans", {"n_clusters": 3, "n_init": 5}, x, seed=11)
    ref = KMeans(n_clusters=3, n_init=5, random_state=11).fit(x)
    assert np.array_equal(r.labels, ref.labels_)
    np.testing.assert_allclose(r.centers, ref.cluster_centers_)


def test_gmm_soft_memberships_equal_sklearn(blobs):
    x, _ = blobs
    r = classical.fit_cluster("gmm", {"n_components": 3}, x, seed=4)
    ref = GaussianMixture(n_components=3, random_state=4).fit(x)
    np.testing.assert_allclose(r.soft, ref.predict_proba(x))
    np.testing.assert_allclose(r.soft.sum(axis=1), 1.0)


@pytest.mark.parametrize("linkage", ["ward", "single", "complete", "average"])
def test_agglomerative_linkages_equal_sklearn(blobs, linkage):
    x, _ = blobs
    r = classical.fit_cluster("agglomerative", {"n_clusters": 3, "linkage": linkage}, x, seed=0)
    assert np.array_equal(r.labels, AgglomerativeClustering(n_clusters=3, linkage=linkage).fit_predict(x))


def test_every_registered_estimator_runs_on_blobs(blobs):
    x, y = blobs
    params = {"kmeans": {"n_clusters": 3}, "gmm": {"n_components": 3}, "bgmm": {"n_components": 5},
              "agglomerative": {"n_clusters": 3}, "dbscan": {"eps": 0.8}, "hdbscan": {"min_cluster_size": 20},
              "spectral": {"n_clusters": 3}, "optics": {"min_samples": 10}, "birch": {"n_clusters": 3},
              "meanshift": {"bandwidth": 2.0}}
    assert set(params) == set(classical.REGISTRY)
    for name, p in params.items():
        r = classical.fit_cluster(name, p, x, seed=0)
        assert r.labels.shape == y.shape
        assert r.fit_time_s >= 0


def test_unknown_param_names_the_argument():
    with pytest.raises(ArgumentError, match="argument 'params'.*n_clusterz"):
        classical.build_estimator("kmeans", {"n_clusterz": 3}, 0)


def test_config_check_names_the_key_of_an_unknown_param_and_of_an_override():
    methods = {"km": {"estimator": "kmeans", "params": {"n_clusterz": 3}},
               "db": {"estimator": "dbscan", "params": {"eps": 0.5}, "overrides": {"penguins": {"eps": -1.0}}}}
    toy = [{"mean": [0.0], "cov": [[1.0]], "n": 5}]
    with pytest.raises(ConfigError, match="'classical.methods.km.params'"):
        study.check_config(methods, ["km"], toy, 0)
    with pytest.raises(ConfigError, match="'classical.methods.db.overrides.penguins.params'.*eps"):
        study.check_config(methods, ["db"], toy, 0)
    with pytest.raises(ConfigError, match="'classical.run'.*nosuch"):
        study.check_config(methods, ["nosuch"], toy, 0)
    with pytest.raises(ConfigError, match=r"'toy.components\[0\].cov'.*not positive semi-definite"):
        study.check_config(methods, [], [{"mean": [0.0], "cov": [[-1.0]], "n": 5}], 0)


def test_out_of_range_param_names_the_argument():
    with pytest.raises(ArgumentError, match="argument 'params'.*eps"):
        classical.build_estimator("dbscan", {"eps": -1.0}, 0)


def test_more_clusters_than_points_is_a_clear_error():
    x = np.random.default_rng(0).normal(size=(5, 2))
    with pytest.raises(ArgumentError, match="params.n_clusters.*asks for 10 clusters but the data have only 5 points"):
        classical.fit_cluster("kmeans", {"n_clusters": 10}, x, 0)


def test_nan_features_are_a_clear_error():
    x = np.ones((10, 2))
    x[3, 1] = np.nan
    with pytest.raises(InputError, match="1 row.*NaN"):
        classical.fit_cluster("kmeans", {"n_clusters": 2}, x, 0, source="data/toy.h5")


def test_decision_regions_agree_with_predict(blobs):
    x, _ = blobs
    r = classical.fit_cluster("kmeans", {"n_clusters": 3}, x, 0)
    reg = classical.decision_regions(r.model, x, 20)
    gx, gy = np.meshgrid(reg["grid_x"], reg["grid_y"])
    assert np.array_equal(reg["grid_labels"].ravel(), r.model.predict(np.column_stack([gx.ravel(), gy.ravel()])))


def test_permutation_importance_finds_the_only_informative_feature():
    rng = np.random.default_rng(0)
    informative = np.concatenate([rng.normal(0, 0.3, 150), rng.normal(5, 0.3, 150)])
    x = np.column_stack([informative, rng.normal(0, 0.01, 300)])  # feature 1 carries no structure
    for est, p in (("kmeans", {"n_clusters": 2}), ("agglomerative", {"n_clusters": 2})):
        r = classical.fit_cluster(est, p, x, 0)
        imp = importance.permutation_importance(r.model, x, r.labels, n_repeats=5, seed=0)
        assert imp.mean[0] > 0.8 and imp.mean[1] < 0.05
        assert imp.via_surrogate == (est == "agglomerative")
        if imp.via_surrogate:
            assert imp.surrogate_fidelity > 0.95
