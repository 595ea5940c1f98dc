"""Logging for rule scripts: everything, including the traceback of a failure, lands in the rule's log."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def logged(log_path: str, name: str = "hepclust") -> Iterator[logging.Logger]:
    """Route ``logging`` to ``log_path`` (and stderr) for the body; log and re-raise any exception.

    Snakemake shows the log path of a failed job, so the user finds the one
    clear error message there as well as on the terminal.
    """
    handlers: list[logging.Handler] = [logging.FileHandler(log_path, mode="w"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers, force=True)
    logging.captureWarnings(True)
    log = logging.getLogger(name)
    if "SLURM_JOB_ID" in os.environ:
        # where the scheduler put this job: the record a cluster user checks first
        log.info("SLURM job %s on partition %s, node %s, CUDA_VISIBLE_DEVICES=%s", os.environ["SLURM_JOB_ID"],
                 os.environ.get("SLURM_JOB_PARTITION"), os.environ.get("SLURMD_NODENAME"),
                 os.environ.get("CUDA_VISIBLE_DEVICES", ""))
    try:
        yield log
    except Exception as exc:
        log.error("%s: %s", type(exc).__name__, exc, exc_info=True)
        raise
    finally:
        for h in handlers:
            h.flush()
