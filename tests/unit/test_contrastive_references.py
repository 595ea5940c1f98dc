"""The ceilings that use labels: cross-fitted where the held-out images are the training images."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hepclust.contrastive import references, study
from hepclust.contrastive import train as train_module
from hepclust.io import read_h5

from .imagesets import write_set


def _random_features(n: int = 120, dim: int = 100, classes: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)), np.arange(n) % classes


def test_cross_fitted_predicts_every_image_once_by_a_model_fitted_without_it():
    _, y = _random_features(n=90, classes=3)
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def fit_predict(train_index: np.ndarray, test_index: np.ndarray) -> np.ndarray:
        seen.append((train_index, test_index))
        return y[test_index]

    pred = references.cross_fitted(fit_predict, y, folds=3, seed=1)
    assert len(seen) == 3
    tested = np.concatenate([te for _, te in seen])
    assert np.array_equal(np.sort(tested), np.arange(90))  # every image predicted exactly once
    for tr, te in seen:
        assert not np.intersect1d(tr, te).size  # ... by a model that never saw it
        assert np.array_equal(np.bincount(y[te]), [10, 10, 10])  # stratified: each fold holds every class alike
    assert np.array_equal(pred, y)


def test_cross_fitted_probe_reads_chance_on_random_labels_where_the_probe_fitted_on_its_test_images_memorises():
    """100 features for 120 images: a logistic regression fitted on the images it scores separates any labelling;
    on random labels, cross-fitted, it can do no better than chance (1/4)."""
    x, y = _random_features()
    in_sample = np.mean(references.linear_probe(x, y, x) == y)
    crossed = np.mean(references.cross_fitted(lambda tr, te: references.linear_probe(x[tr], y[tr], x[te]), y, 3, 0)
                      == y)
    assert in_sample > 0.95
    assert crossed < 0.45


def test_cross_fitted_names_the_folds_it_cannot_fill():
    _, y = _random_features(n=12, classes=4)  # 3 images per class
    with pytest.raises(ValueError, match="smallest class's 3 images, got 4"):
        references.cross_fitted(lambda tr, te: y[te], y, folds=4, seed=0)


def test_probe_row_is_cross_fitted_only_where_the_held_out_images_are_the_training_images():
    x, y = _random_features()
    x_test, y_test = _random_features(seed=1)
    same = study.probe_row({"train_features": x, "train_labels": y, "features": x}, y, folds=3, seed=0)
    assert same["method"] == "linear probe on the contrastive encoder, 3-fold cross-fitted (uses labels)"
    assert same["uses_labels"]
    assert same["hungarian_accuracy"] < 0.45  # random labels: chance, not the 1.0 of a memorising probe
    held_out = study.probe_row({"train_features": x, "train_labels": y, "features": x_test}, y_test, 3, 0)
    assert held_out["method"] == "linear probe on the contrastive encoder (uses labels)"


def test_supervised_reference_on_one_manifest_never_predicts_an_image_it_was_trained_on(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.random((24, 8, 8)).astype(np.float32)  # all different: an image is found by its pixels
    one = write_set(tmp_path / "one", images, 10, labels=np.arange(24) % 2)
    other = write_set(tmp_path / "other", images[:12], 12, labels=np.arange(12) % 2, name="other")
    calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def fake_training(train_x, train_y, test_x, *args, **kwargs):
        calls.append((train_x, test_x))
        return np.zeros(len(test_x), np.int64)

    monkeypatch.setattr(references, "train_supervised", fake_training)
    params = {"n_clusters": 2, "channels": [4, 4]}
    reference = {"epochs": 1, "batch_size": 4, "max_learning_rate": 1e-3, "folds": 3}

    study.run_supervised(str(one), str(one), str(tmp_path / "same.h5"), params, reference, "k", "cpu", 1, 0)
    assert len(calls) == 3
    for train_x, test_x in calls:
        flat_train = train_x.reshape(len(train_x), -1)
        for img in test_x.reshape(len(test_x), -1):
            assert not (flat_train == img).all(dim=1).any()
    assert sum(len(t) for _, t in calls) == 24
    data, attrs = read_h5(tmp_path / "same.h5", study.SUPERVISED_KIND)
    assert attrs["cross_fitted_folds"] == 3 and data["prediction"].shape == (24,)

    calls.clear()
    study.run_supervised(str(one), str(other), str(tmp_path / "held_out.h5"), params, reference, "k", "cpu", 1, 0)
    assert len(calls) == 1 and len(calls[0][0]) == 24 and len(calls[0][1]) == 12
    assert read_h5(tmp_path / "held_out.h5", study.SUPERVISED_KIND)[1]["cross_fitted_folds"] == 0


def test_one_image_set_for_both_is_embedded_once(tmp_path, monkeypatch):
    images = np.random.default_rng(0).random((6, 8, 8)).astype(np.float32)
    one = study.ShardedImages(write_set(tmp_path, images, 6))
    calls = []

    def fake_embed(model, dataset, device, **kwargs):
        calls.append(dataset)
        n = len(dataset)
        return {"features": np.zeros((n, 3)), "latent": np.zeros((n, 2)), "probabilities": np.full((n, 2), 0.5)}

    monkeypatch.setattr(study, "embed", fake_embed)
    cfg = study.train_config({"n_clusters": 2, "channels": [4]}, "k")
    out = study.embed_sets([(None, cfg)], one, study.ShardedImages(one.manifest.path), torch.device("cpu"), 0, 0, 0)
    assert len(calls) == 1
    assert np.array_equal(out["features"], out["train_features"])
    assert np.array_equal(out["labels"], out["train_labels"])


def _lines(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """32 x 32 charge images of one horizontal (class 0) or vertical (class 1) line each."""
    rng = np.random.default_rng(seed)
    img = np.zeros((n, 32, 32), np.float32)
    labels = np.arange(n) % 2
    for i, c in enumerate(labels):
        k = rng.integers(4, 28)
        if c:
            img[i, :, k] = 20
        else:
            img[i, k, :] = 20
    return img, labels


@pytest.mark.parametrize("amp_dtype", [None, torch.bfloat16])
def test_supervised_reference_learns_a_separable_set_in_either_arithmetic(amp_dtype):
    x, y = _lines(64, 0)
    x_test, y_test = _lines(32, 1)
    pred = references.train_supervised(torch.from_numpy(x)[:, None], y, torch.from_numpy(x_test)[:, None], 2,
                                       (8, 16, 16), (False, False), 10, 16, 3e-3, 0, amp_dtype=amp_dtype)
    assert np.mean(pred == y_test) == 1.0


@pytest.mark.parametrize(("precision", "native", "expected"), [("float32", True, None),
                                                              ("bfloat16", True, torch.bfloat16),
                                                              ("bfloat16", False, None)])
def test_supervised_reference_trains_in_the_arithmetic_of_the_sets_training(tmp_path, monkeypatch, precision,
                                                                              native, expected):
    images, labels = _lines(12, 2)
    one = write_set(tmp_path / "one", images, 12, labels=labels)
    seen = []
    monkeypatch.setattr(train_module, "native_cpu_bfloat16", lambda: native)
    monkeypatch.setattr(references, "train_supervised",
                        lambda tx, ty, test_x, *args, amp_dtype=None, **kw: seen.append(amp_dtype) or
                        np.zeros(len(test_x), np.int64))
    params = {"n_clusters": 2, "channels": [4, 4], "cpu_precision": precision}
    reference = {"epochs": 1, "batch_size": 4, "max_learning_rate": 1e-3, "folds": 2}
    study.run_supervised(str(one), str(one), str(tmp_path / "s.h5"), params, reference, "k", "cpu", 1, 0)
    assert seen == [expected, expected]
