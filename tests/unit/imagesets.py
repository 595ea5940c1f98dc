"""Write small sharded image sets for the tests (the same writer the workflow uses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hepclust.images import write_images, write_manifest


def write_set(folder: Path, images: np.ndarray, shard_size: int, labels: np.ndarray | None = None,
              name: str = "set") -> Path:
    """Shards of ``shard_size`` images and their manifest; returns the manifest path."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = np.arange(images.shape[0]) % 2 if labels is None else labels
    paths = []
    for k, start in enumerate(range(0, images.shape[0], shard_size)):
        path = folder / f"shards/{name}_{k}.h5"
        path.parent.mkdir(exist_ok=True)
        write_images(path, images[start:start + shard_size], labels[start:start + shard_size], ["a", "b"],
                     {"test": True}, "ke-", start=start)
        paths.append(path)
    out = folder / f"{name}_manifest.json"
    write_manifest(out, paths, {"test": True})
    return out
