"""The jet study end to end on the tiny config: the benchmark's columns, and which jobs a jets config change reruns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hepclust.jets.reference import find_compiler

from .conftest import rerun_plan

pytestmark = pytest.mark.workflow


def test_benchmark_compares_with_fastjet_cpp_and_awkward(finished_run):
    b = pd.read_csv(finished_run / "results/jets/benchmark.csv")
    expected = "fastjet C++" if find_compiler() else "fastjet awkward (no C++ compiler)"
    assert (b["reference"] == expected).all()
    assert (b["fastjet_awkward_s_per_event"] > 0).all() and (b["ratio_awkward"] > 0).all()
    if find_compiler():
        assert (b["fastjet_cpp_s_per_event"] > 0).all() and (b["ratio"] == b["ratio_cpp"]).all()
        assert b["fastjet_strategy"].str.contains("N2").all()
    pythia = b[b["source"] != "synthetic"]
    assert set(pythia["algorithm"]) == {"antikt", "kt", "cambridge"} and set(pythia["R"]) == {0.4, 1.0}
    assert (pythia["threads"] == 2).all() and (pythia["ours_parallel_events_per_s"] > 0).all()
    if find_compiler():  # FastJet in as many processes as we have threads: the node's throughput either way
        assert (pythia["fastjet_cpp_processes_events_per_s"] > 0).all()
        ratio = pythia["ours_parallel_events_per_s"] / pythia["fastjet_cpp_processes_events_per_s"]
        assert np.allclose(pythia["speedup_vs_fastjet_processes"], ratio, rtol=1e-5)
    synthetic = b[b["source"] == "synthetic"]
    assert sorted(synthetic["multiplicity"].unique()) == [100, 300]


def test_changing_the_benchmark_config_reruns_only_the_benchmark(finished_run, tmp_path):
    jobs = rerun_plan(finished_run, tmp_path, lambda c: c["jets"]["benchmark"].update({"repeats": 3}))
    # and the report's summary page, which quotes the speed ratio
    assert {r for r, _ in jobs} == {"jets_timing", "jets_benchmark", "summary", "all"}


def test_changing_ptmin_reclusters_and_revalidates_but_does_not_regenerate(finished_run, tmp_path):
    jobs = rerun_plan(finished_run, tmp_path, lambda c: c["jets"].update({"ptmin": 30.0}))
    assert {r for r, _ in jobs} == {"jets_cluster", "jets_validate", "jets_physics", "jets_event_display",
                                    "summary", "all"}
