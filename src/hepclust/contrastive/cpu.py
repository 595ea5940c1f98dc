"""The CPU side of a torch process: its threads, and a C library told to keep the memory it frees.

Why the memory: a training step allocates and frees the same few large tensors at every step (a LArTPC
batch's first-block activations and their gradients, 4-16 MB each).  glibc's malloc serves blocks above its
mmap threshold with fresh pages from the kernel and hands freed memory at the top of its heap back above
its trim threshold, so every step faults tens of MB of zeroed pages in again: 346,000 minor page faults
in two LArTPC and four digits epochs, 134,000 with the mmap threshold at glibc's maximum (32 MiB) and
trimming only above 1 GiB.  Measured side by side on 2 cores (the default run's two trainings at once),
LArTPC epoch 3.58 / 3.81 s -> 3.21 / 3.42 s, digits epoch 0.76 / 0.85 s -> 0.73 / 0.78 s; the weights
are bit for bit the same (tested): only where the memory comes from changes, not what is computed.  PyTorch's
own CPU performance guide reaches the same end with jemalloc or tcmalloc preloaded; this needs no preload and
no package, so it holds in a Snakemake job, a SLURM job and a torchrun rank alike.
"""

from __future__ import annotations

import ctypes
import logging

import torch

log = logging.getLogger(__name__)

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 << 20  # glibc refuses more on 64-bit
TRIM_THRESHOLD = 1 << 30
TOP_PAD = 64 << 20


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to reuse freed blocks instead of returning them to the kernel; whether it took.

    A no-op (False) where the C library has no ``mallopt`` (macOS, musl): there the training runs as before.
    Costs resident memory up to the process's peak, which it reaches at every step anyway."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    took = [mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX), mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD),
            mallopt(M_TOP_PAD, TOP_PAD)]
    if not all(took):
        log.warning("mallopt refused %s of (mmap threshold, trim threshold, top pad)", took)
    return all(took)


def use_cpu(threads: int) -> None:
    """A torch job's process: ``threads`` intra-op threads (at least 1), freed memory kept for reuse."""
    torch.set_num_threads(max(1, threads))
    keep_freed_memory()
