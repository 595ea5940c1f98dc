"""The classical study end to end on the tiny config."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from .conftest import REPO, copy_workflow, edit_config, planned_jobs, snakemake

pytestmark = pytest.mark.workflow


def test_full_run_produces_every_table_and_figure(finished_run):
    for d in ("toy", "penguins"):
        m = pd.read_csv(finished_run / f"results/classical/{d}/metrics.csv")
        assert m["method"].tolist() == ["kmeans", "gmm", "ward", "dbscan"]
        assert m["ari"].between(-1, 1).all()
        # the tiny toy's blobs are well separated: the mixture model must find them
        if d == "toy":
            assert m.set_index("method").loc["gmm", "hungarian_accuracy"] > 0.9
        for f in ("per_class.csv", "confusion.png", "roc.png", "importance.csv", "importance.png",
                  "k_selection.csv", "k_choice.csv", "k_selection.png"):
            assert (finished_run / f"results/classical/{d}/{f}").stat().st_size > 0
    assert (finished_run / "results/classical/comparison_grid.png").stat().st_size > 0


def test_jet_study_matches_fastjet_and_writes_its_figures(finished_run):
    v = pd.read_csv(finished_run / "results/jets/validation.csv")
    assert sorted(v["algorithm"]) == ["antikt", "cambridge", "kt"]
    assert (v["n_events"] == 4).all() and (v["n_jets"] > 0).all()
    assert (v["n_events_differ"] == 0).all()
    b = pd.read_csv(finished_run / "results/jets/benchmark.csv")
    assert set(b["source"]) == {"qcd_dijet", "synthetic"} and (b["ratio"] > 0).all()
    for f in ("physics.png", "event_display.png", "benchmark.png"):
        assert (finished_run / "results/jets" / f).stat().st_size > 0


def test_report_contains_every_category(finished_run):
    snakemake(finished_run, "--report", "report.zip")
    import zipfile

    names = "\n".join(zipfile.ZipFile(finished_run / "report.zip").namelist())
    for f in ("comparison_grid.png", "metrics.csv", "validation.csv", "benchmark.png", "event_display.png"):
        assert f in names


def test_second_run_has_nothing_to_do(finished_run):
    out = snakemake(finished_run, "-n")
    assert "Nothing to be done" in out.stdout + out.stderr


def test_changing_one_method_param_reruns_only_that_method_and_its_dependents(finished_run, tmp_path):
    work = copy_workflow(tmp_path)
    # reuse the finished results (and Snakemake's metadata on them) in a fresh copy
    subprocess.run(["cp", "-a", str(finished_run / "results"), str(finished_run / ".snakemake"), str(work)],
                   check=True)
    edit_config(work / "tiny.yaml", lambda c: c["classical"].setdefault("methods", {}).update(
        {"kmeans": {"estimator": "kmeans", "params": {"n_clusters": 3, "n_init": 3}}}))
    out = snakemake(work, "-n")
    jobs = planned_jobs(out.stdout)
    fits = {j for j in jobs if j[0] == "classical_fit"}
    assert fits == {("classical_fit", "dataset=toy, method=kmeans"),
                    ("classical_fit", "dataset=penguins, method=kmeans")}
    # and what shows them: the tables, figures and the report's summary page
    assert {r for r, _ in jobs} == {"classical_fit", "classical_metrics", "classical_importance",
                                    "classical_grid", "summary", "all"}


def test_lint_is_clean():
    proc = subprocess.run(["snakemake", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Lints for" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_rule_files_are_snakefmt_formatted():
    files = ["Snakefile", *sorted(str(p) for p in (REPO / "workflow/rules").glob("*.smk"))]
    proc = subprocess.run(["snakefmt", "--check", *files], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
