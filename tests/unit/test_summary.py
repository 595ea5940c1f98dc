"""The report's first page is built from the result files: the right rows, the strongest reference."""

import pandas as pd
import pytest

from hepclust.errors import InputError
from hepclust.plotting.summary import headline_table, to_html


def _csv(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


@pytest.fixture
def results(tmp_path):
    scores = lambda m, acc, ari: {"method": m, "ari": ari, "nmi": ari, "hungarian_accuracy": acc,  # noqa: E731
                                  "uses_labels": "uses labels" in m}
    return {
        "classical": {"toy": _csv(tmp_path / "toy.csv", [scores("kmeans", 0.95, 0.90), scores("gmm", 0.99, 0.97),
                                                         scores("single", 0.40, 0.00)])},
        "jets": {"validation": _csv(tmp_path / "val.csv", [{"n_events": 80, "n_events_differ": 0},
                                                           {"n_events": 80, "n_events_differ": 2}]),
                 "benchmark": _csv(tmp_path / "bench.csv", [
                     {"source": "qcd_dijet", "algorithm": "antikt", "R": 0.4, "multiplicity": 600.0,
                      "ratio_awkward": 0.5, "ratio_cpp": 0.9},
                     {"source": "ttbar", "algorithm": "antikt", "R": 0.4, "multiplicity": 650.0,
                      "ratio_awkward": 0.6, "ratio_cpp": 0.7},
                     {"source": "synthetic", "algorithm": "antikt", "R": 0.4, "multiplicity": 5000,
                      "ratio_awkward": 0.1, "ratio_cpp": 0.1}])},
        "contrastive": {"lartpc": _csv(tmp_path / "c.csv", [scores("contrastive clustering", 0.80, 0.6),
                                                             scores("k-means on latent (k=6)", 0.70, 0.5),
                                                             scores("UMAP + HDBSCAN", 0.75, 0.4),
                                                             scores("supervised reference (uses labels)", 0.9, .8)])},
        "tsne": _csv(tmp_path / "t.csv", [{"n_points": 100, "opentsne_s": 1.0, "sklearn_s": 1.0,
                                           "sklearn_over_opentsne": 1.0},
                                          {"n_points": 4000, "opentsne_s": 2.0, "sklearn_s": 5.0,
                                           "sklearn_over_opentsne": 2.5}]),
    }


def test_summary_names_the_best_method_the_differing_events_and_the_cpp_ratio(results):
    t = headline_table(**results).set_index("result")
    assert t.loc["best method: gmm (ARI)", "value"] == 0.97
    assert t.loc["best method: gmm (Hungarian ACC)", "value"] == 0.99
    assert t.loc["events compared (all algorithms and radii)", "value"] == 160
    assert t.loc["events whose jets differ", "value"] == 2
    # the C++ loop is the reference where it was measured; synthetic events are not Pythia events
    assert t.loc["time ours / FastJet C++ (median over processes)", "value"] == pytest.approx(0.8)
    assert t.loc["clusterer Hungarian ACC (held out)", "compared_with"] == "best baseline: UMAP + HDBSCAN 0.750"
    # the reference that uses labels is shown as a ceiling, never as the best baseline
    assert t.loc["supervised reference (uses labels) ACC (a ceiling)", "value"] == 0.9
    assert t.loc["scikit-learn time / openTSNE time", "value"] == 2.5


def test_summary_page_is_a_table_with_one_row_per_result(results):
    t = headline_table(**results)
    page = to_html(t, "headline")
    assert page.count("<table id='summary'>") == 1
    assert page.count("<td class='value'>") == len(t)


def test_a_missing_result_column_names_the_file(results, tmp_path):
    results["tsne"] = _csv(tmp_path / "bad.csv", [{"n_points": 5}])
    with pytest.raises(InputError, match="bad.csv: missing column"):
        headline_table(**results)
