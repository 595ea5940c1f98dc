"""A workflow that fails loudly and never loses work: determinism, corrupt inputs, killed training."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from .conftest import copy_workflow, edit_config, snakemake

pytestmark = pytest.mark.workflow

# Outputs that record wall-clock times; compared with those values left out.
TIME_COLUMNS = {"fit_time_s", "seconds", "images_per_s", "ours_s_per_event", "fastjet_s_per_event", "ratio",
                "opentsne_s", "sklearn_s", "sklearn_over_opentsne",
                # jets benchmark: per-event times, ratios, events/s
                "fastjet_cpp_s_per_event", "fastjet_awkward_s_per_event", "ratio_cpp", "ratio_awkward",
                "ours_parallel_events_per_s", "fastjet_cpp_events_per_s", "parallel_speedup_vs_fastjet",
                "fastjet_cpp_processes_events_per_s", "speedup_vs_fastjet_processes"}
TIME_ATTRS = {"fit_time_s"}
TIMED_FIGURES = {"comparison_grid.png", "benchmark.png", "summary.html"}  # fit times / timings are drawn in them


def _equal(x, y) -> bool:
    try:
        return bool(np.array_equal(x, y, equal_nan=True))
    except TypeError:  # strings: no NaN to worry about
        return bool(np.array_equal(x, y))


def _same_h5(a: Path, b: Path) -> bool:
    with h5py.File(a) as fa, h5py.File(b) as fb:
        if set(fa.keys()) != set(fb.keys()):
            return False
        if any(not _equal(fa[k][()], fb[k][()]) for k in fa.keys()):
            return False
        attrs_a = {k: v for k, v in fa.attrs.items() if k not in TIME_ATTRS}
        attrs_b = {k: v for k, v in fb.attrs.items() if k not in TIME_ATTRS}
        return attrs_a.keys() == attrs_b.keys() and all(_equal(attrs_a[k], attrs_b[k]) for k in attrs_a)


def _same(a: Path, b: Path) -> bool:
    if a.suffix == ".csv":
        fa, fb = pd.read_csv(a), pd.read_csv(b)
        if "timing" in fa.columns:  # the summary: rows of wall-clock measurements left out
            fa, fb = fa[~fa["timing"]].reset_index(drop=True), fb[~fb["timing"]].reset_index(drop=True)
        keep = [c for c in fa.columns if c not in TIME_COLUMNS]
        return fa.columns.equals(fb.columns) and fa[keep].equals(fb[keep])
    if a.suffix == ".h5" and a.read_bytes() != b.read_bytes():
        return _same_h5(a, b)
    return a.read_bytes() == b.read_bytes()


def test_same_config_gives_identical_outputs(finished_run, second_run):
    again = second_run  # on the SLURM test cluster where one can be started: local and cluster runs agree
    files = sorted(p.relative_to(finished_run) for p in (finished_run / "results").rglob("*") if p.is_file())
    compared, differ = 0, []
    for rel in files:
        if rel.name in TIMED_FIGURES or rel.name == "checkpoint.pt":
            continue
        compared += 1
        if not _same(finished_run / rel, again / rel):
            differ.append(str(rel))
    assert compared > 50
    assert differ == []
    # byte for byte, not just equal values, for the data products
    for rel in ("results/data/toy.h5", "results/jets/events/qcd_dijet_0.h5", "results/lartpc/shards/train_0.h5",
                "results/lartpc/train_manifest.json",
                "results/contrastive/lartpc/embedding.h5", "results/contrastive/lartpc/member_0/model.pt",
                "results/classical/toy/k_selection.csv", "results/classical/toy/importance.png"):
        assert (finished_run / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_corrupt_input_fails_with_one_clear_error_and_leaves_no_partial_output(finished_run, tmp_path):
    work = copy_workflow(tmp_path)
    subprocess.run(["cp", "-a", str(finished_run / "results"), str(finished_run / ".snakemake"), str(work)],
                   check=True)
    data = work / "results/data/toy.h5"
    data.write_bytes(data.read_bytes()[:256])  # truncated, as by a full disk
    target = work / "results/classical/toy/kmeans.h5"
    proc = snakemake(work, str(target.relative_to(work)), "--forcerun", "classical_fit", check=False)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "results/data/toy.h5: not a readable HDF5 file (corrupt or truncated?)" in text
    assert not target.exists()
    assert not list(target.parent.glob(".*tmp-*"))


def _training_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-f", "contrastive_train"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split() if int(p) != os.getpid()]


def test_killed_training_resumes_from_its_checkpoint_and_ends_with_the_same_metrics(finished_run, tmp_path):
    """Pre-emption: the training process dies (SIGKILL) mid-run; the rule's retries restart it, it resumes
    from the last checkpoint, and the final model and metrics equal those of an uninterrupted run."""
    target = "results/contrastive/lartpc/metrics.csv"
    longer = {"epochs": 25, "batch_size": 64}

    def prepared(name: str) -> Path:
        (tmp_path / name).mkdir()
        work = copy_workflow(tmp_path / name)
        subprocess.run(["cp", "-a", str(finished_run / "results"), str(finished_run / ".snakemake"), str(work)],
                       check=True)
        (work / "results/contrastive/lartpc/member_0/checkpoint.pt").unlink(missing_ok=True)
        edit_config(work / "tiny.yaml", lambda c: c["contrastive"]["train"]["lartpc"].update(longer))
        return work

    reference = prepared("uninterrupted")
    snakemake(reference, target)

    work = prepared("killed")
    ckpt = work / "results/contrastive/lartpc/member_0/checkpoint.pt"
    proc = subprocess.Popen(["snakemake", "--cores", "2", target, "--configfile", "tiny.yaml"], cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 600
    killed_after = None
    while time.time() < deadline and proc.poll() is None and killed_after is None:
        if ckpt.exists():
            try:
                epoch = torch.load(ckpt, weights_only=True)["epoch"]
            except Exception:  # caught mid-rename: try again
                epoch = -1
            if 3 <= epoch < longer["epochs"] - 3:
                for pid in _training_pids():
                    os.kill(pid, signal.SIGKILL)
                killed_after = epoch
        time.sleep(0.05)
    output, _ = proc.communicate(timeout=900)
    assert killed_after is not None, "training finished or never checkpointed before it could be killed"
    assert proc.returncode == 0, output[-5000:]
    assert "Trying to restart job" in output or "retry" in output.lower()

    log = (work / "logs/contrastive/lartpc/member_0/train.log").read_text()
    m = re.search(r"resuming from \S+ after epoch (\d+)", log)
    assert m and int(m.group(1)) >= killed_after
    history = pd.read_csv(work / "results/contrastive/lartpc/member_0/history.csv")
    assert history["epoch"].tolist() == list(range(longer["epochs"]))
    resumed_at = int(m.group(1)) + 1  # the history says which epochs came after the resume
    assert (history["session"] > 0).tolist() == [e >= resumed_at for e in range(longer["epochs"])]
    pd.testing.assert_frame_equal(pd.read_csv(work / target), pd.read_csv(reference / target))
    a = torch.load(work / "results/contrastive/lartpc/member_0/model.pt", weights_only=True)["model"]
    b = torch.load(reference / "results/contrastive/lartpc/member_0/model.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
