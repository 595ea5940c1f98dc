"""The pixel baselines as a step of their own: label-free, with their provenance, checked against the images."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans

from hepclust.contrastive import study
from hepclust.errors import InputError
from hepclust.io import read_h5

from .imagesets import write_set

BASELINE = {"pca_components": 3, "umap_components": 2, "umap_neighbors": 5, "hdbscan_min_cluster_size": 3,
            "autoencoder_latent": 2, "autoencoder_epochs": 1}


def _images(n: int = 24) -> np.ndarray:
    """Two kinds of 8 x 8 image: charge in the top half or in the bottom half."""
    rng = np.random.default_rng(0)
    images = rng.random((n, 8, 8)).astype(np.float32) * 0.1
    images[: n // 2, :4] += 5.0
    images[n // 2:, 4:] += 5.0
    return images


def test_baselines_never_read_the_labels_and_record_what_made_them(tmp_path):
    images = _images()
    one = write_set(tmp_path / "a", images, 10, labels=np.arange(24) % 2)
    other = write_set(tmp_path / "b", images, 10, labels=(np.arange(24) // 12))
    study.run_baselines(str(one), str(tmp_path / "a.h5"), 2, BASELINE, 0, extra_baselines=True)
    study.run_baselines(str(other), str(tmp_path / "b.h5"), 2, BASELINE, 0, extra_baselines=True)
    a, b = study.read_baselines(str(tmp_path / "a.h5"), 24), study.read_baselines(str(tmp_path / "b.h5"), 24)
    assert list(a) == ["k-means on PCA-3 pixels", "UMAP + HDBSCAN", "autoencoder + k-means", "k-means on raw pixels",
                       "Ward on raw pixels"]
    for name in a:
        assert np.array_equal(a[name], b[name]), name
    # the two kinds of image are far apart: k-means on the raw pixels finds them, as scikit-learn does on its own
    reference = KMeans(2, n_init=10, random_state=0).fit_predict(images.reshape(24, -1).astype(np.float64))
    assert np.array_equal(a["k-means on raw pixels"], reference)
    assert len(set(a["k-means on raw pixels"][:12])) == 1 and len(set(a["k-means on raw pixels"][12:])) == 1
    _, attrs = read_h5(tmp_path / "a.h5", study.BASELINES_KIND)
    assert attrs["params"]["baseline"] == BASELINE and attrs["params"]["n_clusters"] == 2


def test_baselines_without_the_extra_ones_and_of_other_images_are_told_apart(tmp_path):
    manifest = write_set(tmp_path, _images(), 12)
    study.run_baselines(str(manifest), str(tmp_path / "b.h5"), 2, BASELINE, 0, extra_baselines=False)
    assert len(study.read_baselines(str(tmp_path / "b.h5"), 24)) == 3
    with pytest.raises(InputError, match="b.h5.*24 images, the held-out set has 30"):
        study.read_baselines(str(tmp_path / "b.h5"), 30)


def test_baseline_rows_score_each_method_against_truth():
    y = np.array([0, 0, 1, 1])
    rows = study.baseline_rows({"perfect": np.array([1, 1, 0, 0]), "one wrong": np.array([0, 0, 0, 1])}, y)
    assert [r["method"] for r in rows] == ["perfect", "one wrong"]
    assert [r["hungarian_accuracy"] for r in rows] == [1.0, 0.75]
    assert not any(r["uses_labels"] for r in rows)
