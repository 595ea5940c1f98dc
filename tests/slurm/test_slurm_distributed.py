"""Data-parallel training as one 2-task SLURM job through the profile: srun + torchrun, a GPU per rank."""

from __future__ import annotations

import re
import subprocess
import time

import pandas as pd
import pytest

from tests.workflow.conftest import copy_workflow, edit_config

pytestmark = pytest.mark.slurm

TARGET = "results/contrastive/lartpc/member_0/model.pt"


def _two_ranks(cfg: dict) -> None:
    c = cfg["contrastive"]
    c["imagesets"] = ["lartpc"]
    # the test node has 2 CPUs and 2 fake GPUs: 2 ranks of 1 core each
    c["distributed"] = {"nodes": 1, "ranks_per_node": 2, "cpus_per_rank": 1}
    c["loader_workers"] = 0


def test_training_runs_as_two_ranks_each_with_a_gpu_on_the_gpu_partition(slurm_cluster, tmp_path):
    work = copy_workflow(tmp_path)
    edit_config(work / "tiny.yaml", _two_ranks)
    t0 = time.time()
    proc = subprocess.run(
        ["snakemake", "--profile", str(work / "workflow/profiles/slurm"), "--configfile", "tiny.yaml",
         "--slurm-init-seconds-before-status-checks", "5", "--jobs", "2", TARGET],
        cwd=work, capture_output=True, text=True, timeout=1500)
    elapsed = time.time() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    log = (work / "logs/contrastive/lartpc/member_0/train.log").read_text()
    assert re.search(r"launching: srun .*--ntasks=2 .*--gpus-per-task=1 .*torch\.distributed\.run", log), log[:3000]
    ranks = re.findall(r"rank (\d)/2 \(local \d\) on \S+, device \S+, SLURM job \d+ on partition (\S+), "
                       r"node \S+, CUDA_VISIBLE_DEVICES=(\S*)", log)
    assert sorted(r for r, _, _ in ranks) == ["0", "1"], log[:4000]
    assert all(partition == "gpu" and gpus for _, partition, gpus in ranks), ranks
    assert "2 ranks" in log  # rank 0's epoch lines
    history = pd.read_csv(work / "results/contrastive/lartpc/member_0/history.csv")
    assert history["epoch"].tolist() == [0, 1]
    assert (work / TARGET).stat().st_size > 0
    print(f"2-rank SLURM training (simulation, manifest, training) took {elapsed:.0f} s")
