"""The t-SNE timing compares the two implementations on one thread each, whatever the process was allowed."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from hepclust import embed


def test_both_t_sne_implementations_are_timed_on_one_thread_even_where_more_are_allowed(monkeypatch):
    # scikit-learn's Barnes-Hut gradient is an OpenMP loop: under Snakemake's OMP_NUM_THREADS = the rule's
    # threads it took 2 threads against openTSNE's 1.  Record what each fit would be allowed.
    seen: dict[str, list[set[int]]] = {"opentsne": [], "sklearn": []}

    def spy(name):
        def fit(x, perplexity, seed):
            seen[name].append({pool["num_threads"] for pool in threadpool_info()})
            return np.zeros((x.shape[0], 2))
        return fit

    monkeypatch.setattr(embed, "tsne", spy("opentsne"))
    monkeypatch.setattr(embed, "tsne_sklearn", spy("sklearn"))
    assert any(pool["internal_api"] == "openmp" for pool in threadpool_info())  # scikit-learn's OpenMP is loaded
    with threadpool_limits(limits=2):  # what a 2-thread rule allows
        table = embed.tsne_timing([40, 60], 5, 2, 5.0, seed=1)
    assert seen == {"opentsne": [{1}] * 4, "sklearn": [{1}] * 4}
    assert list(table.n_points) == [40, 60] and (table.sklearn_over_opentsne > 0).all()
