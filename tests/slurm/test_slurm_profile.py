"""The GPU rule through the SLURM profile on a real (single-node) SLURM cluster."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from tests.workflow.conftest import copy_workflow

pytestmark = pytest.mark.slurm

TARGET = "results/contrastive/lartpc/metrics.csv"
OUTPUTS = ["results/lartpc/train.h5", "results/lartpc/test.h5", "results/contrastive/lartpc/model.pt",
           "results/contrastive/lartpc/history.csv", "results/contrastive/lartpc/embedding.h5", TARGET,
           "results/contrastive/lartpc/per_cluster.csv", "results/contrastive/lartpc/contingency.png",
           "results/contrastive/lartpc/gallery.png"]


def test_training_runs_on_the_gpu_partition_with_a_gpu_and_all_outputs_appear(slurm_cluster, tmp_path):
    work = copy_workflow(tmp_path)
    t0 = time.time()
    proc = subprocess.run(
        ["snakemake", "--profile", str(work / "workflow/profiles/slurm"), "--configfile", "tiny.yaml",
         "--slurm-no-account", "--slurm-init-seconds-before-status-checks", "5", "--jobs", "2", TARGET],
        cwd=work, capture_output=True, text=True, timeout=1500)
    elapsed = time.time() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    for out in OUTPUTS:
        assert (work / out).stat().st_size > 0, out
    train_log = (work / "logs/contrastive/lartpc/train.log").read_text()
    m = re.search(r"SLURM job (\d+) on partition (\S+), node \S+, CUDA_VISIBLE_DEVICES=(\S*)", train_log)
    assert m, train_log[:2000]
    assert m.group(2) == "gpu"
    assert m.group(3) != "", "no GPU allocated to the training job"
    sim_log = (work / "logs/lartpc/simulate_train.log").read_text()
    assert re.search(r"SLURM job \d+ on partition debug, node \S+, CUDA_VISIBLE_DEVICES=\s*$", sim_log, re.M)
    print(f"SLURM workflow ({len(OUTPUTS)} outputs) took {elapsed:.0f} s")
