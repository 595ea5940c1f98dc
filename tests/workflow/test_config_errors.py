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


# Every schema key is broken one by one in tests/unit/test_config_schema.py (fast, no Snakemake start).
# Here: a few of those through the real `snakemake` start-up (proving the Snakefile validates first), and
# every check JSON Schema cannot express (covariances, estimator params, cross-references between keys).
CASES = [
    (("seed",), "abc", "seed"),
    (("classical", "k_selection", "k_max"), 1, "k_max"),
    (("contrastive", "train", "lartpc", "augment", "rotation"), 5, "augment"),
    (("nonsense_key",), 1, "nonsense_key"),
    (("toy", "components"), [{"mean": [0, 0], "cov": [[1, 2], [2, 1]], "n": 5}], "toy.components[0].cov"),
    (("toy", "components"), [{"mean": [0, 0], "cov": [[1, 0.5], [0.2, 1]], "n": 5}], "toy.components[0].cov"),
    (("toy", "components"), [{"mean": [0, 0], "cov": [[1, 0], [0, 1]], "n": 5},
                             {"mean": [0, 0, 0], "cov": [[1, 0], [0, 1]], "n": 5}], "toy.components[1].mean"),
    (("classical", "run"), ["kmeans", "nosuch"], "classical.run"),
    (("classical", "methods", "kmeans"), {"estimator": "kmeans", "params": {"n_clusters": "three"}},
     "classical.methods.kmeans.params"),
    (("classical", "methods", "dbscan"), {"estimator": "dbscan", "params": {"eps": -0.1}},
     "classical.methods.dbscan.params"),
    (("classical", "methods", "ward"), {"estimator": "agglomerative", "params": {"n_clusterz": 3}},
     "classical.methods.ward.params"),
    (("jets", "run"), ["higgs"], "jets.run"),
    (("jets", "display", "R"), 0.7, "jets.display.R"),
    (("jets", "display", "event"), 99, "jets.display.event"),
    (("jets", "physics_plot", "algorithm"), "genkt", "jets.physics_plot.algorithm"),
    (("contrastive", "imagesets"), ["lartpc", "mnist"], "contrastive.imagesets"),
    (("contrastive", "members"), {"lartcp": 3}, "contrastive.members.lartcp"),
    (("contrastive", "scan", "umap"), {"lartcp": {"components": 10}}, "contrastive.scan.umap.lartcp"),
    (("contrastive", "distributed"), {"nodes": 1, "ranks_per_node": 3}, "contrastive.train.lartpc.batch_size"),
    (("lartpc", "shard_size"), 0, "shard_size"),
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
