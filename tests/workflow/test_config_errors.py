"""A bad config value stops the workflow at start with a message naming the key."""

from __future__ import annotations

import pytest

from .conftest import copy_workflow, edit_config, snakemake

pytestmark = pytest.mark.workflow


def _set(path, value):
    def fn(cfg):
        node = cfg
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return fn


CASES = [
    (("seed",), -3, "seed"),
    (("seed",), "abc", "seed"),
    (("toy", "seed"), 1.5, "seed"),
    (("toy", "components"), [{"mean": [0, 0], "cov": [[1, 2], [2, 1]], "n": 5}], "toy.components[0].cov"),
    (("toy", "components"), [{"mean": [0, 0], "cov": [[1, 0], [0, 1]], "n": 0}], "n"),
    (("penguins", "features"), ["beak_colour"], "features"),
    (("penguins", "standardize"), "yes", "standardize"),
    (("classical", "datasets"), ["mnist"], "datasets"),
    (("classical", "run"), ["kmeans", "nosuch"], "classical.run"),
    (("classical", "k_selection", "k_max"), 1, "k_max"),
    (("classical", "importance", "n_repeats"), 0, "n_repeats"),
    (("classical", "decision_grid"), 5, "decision_grid"),
    (("classical", "methods", "kmeans"), {"estimator": "kmeans", "params": {"n_clusters": "three"}},
     "classical.methods.kmeans.params"),
    (("classical", "methods", "dbscan"), {"estimator": "dbscan", "params": {"eps": -0.1}},
     "classical.methods.dbscan.params"),
    (("classical", "methods", "ward"), {"estimator": "wardish"}, "estimator"),
    (("nonsense_key",), 1, "nonsense_key"),
    (("jets", "radii"), [0.0], "radii"),
    (("jets", "algorithms"), ["siscone"], "algorithms"),
    (("jets", "events_per_chunk"), 0, "events_per_chunk"),
    (("jets", "noise", "per_event"), -1, "per_event"),
    (("jets", "ptmin"), "high", "ptmin"),
    (("jets", "display", "R"), 0.7, "jets.display.R"),
    (("jets", "display", "event"), 99, "jets.display.event"),
    (("jets", "processes"), {"bad name!": ["HardQCD:all = on"]}, "processes"),
    (("jets", "run"), ["higgs"], "jets.run"),
    (("jets", "benchmark", "repeats"), 0, "repeats"),
    (("lartpc", "geometry", "width"), 4, "width"),
    (("lartpc", "geometry", "pitch_cm"), 0, "pitch_cm"),
    (("lartpc", "n_train"), 1, "n_train"),
    (("lartpc", "fractions"), {"neutrino": 1.0}, "fractions"),
    (("lartpc", "detector", "dead_fraction"), 1.5, "dead_fraction"),
    (("digits", "size"), 4, "size"),
    (("contrastive", "device"), "tpu", "device"),
    (("contrastive", "imagesets"), ["cifar"], "imagesets"),
    (("contrastive", "train", "lartpc", "n_clusters"), 1, "n_clusters"),
    (("contrastive", "train", "lartpc", "instance_temperature"), 0, "instance_temperature"),
    (("contrastive", "train", "lartpc", "augment", "rotation"), 5, "augment"),
    (("contrastive", "baseline", "pca_components"), 1, "pca_components"),
    (("contrastive", "embedding", "perplexity"), 0.5, "perplexity"),
    (("embeddings", "tsne_benchmark", "sizes"), [10], "sizes"),
]


@pytest.mark.parametrize("path, value, key", CASES, ids=[".".join(c[0]) + f"={c[1]!r}"[:40] for c in CASES])
def test_bad_value_fails_at_start_naming_the_key(tmp_path, path, value, key):
    work = copy_workflow(tmp_path)
    edit_config(work / "tiny.yaml", _set(path, value))
    proc = snakemake(work, "-n", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert key in text, text[-3000:]
    assert not (work / "results").exists()
