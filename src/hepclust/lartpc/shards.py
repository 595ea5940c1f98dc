"""How a simulated split is cut into shards: one independent (SLURM) job per shard.

The file formats (shard = image file with its global ``start``; JSON manifest)
live in :mod:`hepclust.images`, shared with the digits set and the trainer.
"""

from __future__ import annotations

import math


def n_shards(n_events: int, shard_size: int) -> int:
    """Number of shards of a split: the last one holds the remainder."""
    if n_events < 1:
        raise ValueError(f"n_events must be >= 1, got {n_events}")
    if shard_size < 1:
        raise ValueError(f"shard_size must be >= 1, got {shard_size}")
    return math.ceil(n_events / shard_size)


def shard_range(n_events: int, shard_size: int, shard: int) -> tuple[int, int]:
    """Global event indices [start, stop) of shard number ``shard``."""
    total = n_shards(n_events, shard_size)
    if not 0 <= shard < total:
        raise ValueError(f"shard {shard} does not exist: {n_events} events in shards of {shard_size} "
                         f"make {total}")
    start = shard * shard_size
    return start, min(start + shard_size, n_events)
