"""One real single-node SLURM cluster for every SLURM test of the session (starting one takes a while)."""

from __future__ import annotations

import pytest

from tests.slurm import cluster


@pytest.fixture(scope="session")
def slurm_cluster():
    reason = cluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    pids = cluster.start()
    yield pids
    still_alive = cluster.stop(pids)
    assert not still_alive, f"SLURM daemons still running after stop: {still_alive}"
