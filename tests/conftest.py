"""Session-wide fixtures: a real single-node SLURM cluster, and the whole tiny workflow run through it.

They live here, not in tests/slurm, because the workflow tests reuse the cluster run: comparing it with
the local run proves that a cluster run gives the same results, and saves a third run of the workflow.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def slurm_cluster():
    from tests.slurm import cluster

    reason = cluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    pids = cluster.start()
    yield pids
    still_alive = cluster.stop(pids)
    assert not still_alive, f"SLURM daemons still running after stop: {still_alive}"


@dataclass
class SlurmRun:
    work: Path
    output: str  # Snakemake's stdout + stderr
    returncode: int
    seconds: float


@pytest.fixture(scope="session")
def slurm_run(slurm_cluster, tmp_path_factory) -> SlurmRun:
    """The README's cluster command, no target (the whole DAG), on the tiny config."""
    from tests.workflow.conftest import copy_workflow

    work = copy_workflow(tmp_path_factory.mktemp("slurm_wf"))
    t0 = time.time()
    proc = subprocess.run(["snakemake", "--profile", "workflow/profiles/slurm", "--configfile", "tiny.yaml"],
                          cwd=work, capture_output=True, text=True, timeout=1800)
    return SlurmRun(work, proc.stdout + proc.stderr, proc.returncode, time.time() - t0)
