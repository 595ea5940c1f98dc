"""Streaming benchmark: peak memory and throughput of the training input at growing image-set sizes.

The claim to check: memory does not grow with the number of images.  Each
size runs in a fresh Python process (so its peak RSS is its own): one full
epoch streamed through the DataLoader (read + decompress + batch), then a few
real training steps (augmentation, model, losses, Adam) for the training rate.
Peak RSS is the main process's plus the largest DataLoader worker's.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hepclust.contrastive.data import GlobalBatchSampler, ShardedImages, loader
from hepclust.images import read_manifest, write_images, write_manifest


def tiled_set(source_manifest: str, n_images: int, shard_size: int, folder: Path) -> Path:
    """An image set of ``n_images`` made by cycling a simulated set's images (real content, any size)."""
    src = ShardedImages(source_manifest)
    names = list(src.manifest.class_names)
    labels = src.labels()
    paths = []
    for k, start in enumerate(range(0, n_images, shard_size)):
        idx = np.arange(start, min(start + shard_size, n_images)) % len(src)
        images = np.stack([src[int(i)][0][0].numpy() for i in idx])
        path = folder / f"bench_{k}.h5"
        write_images(path, images, labels[idx], names, {"tiled_from": source_manifest}, src.manifest.units, start)
        paths.append(path)
    manifest = folder / f"bench_{n_images}.json"
    write_manifest(manifest, paths, {"tiled_from": source_manifest, "n_images": n_images})
    return manifest


def _peak_rss_mb() -> tuple[float, float]:
    """(this process, largest reaped child) peak resident set size in MB (Linux reports kB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def measure(manifest: str, batch_size: int, train_steps: int, workers: int, threads: int) -> dict[str, float]:
    """Stream one epoch, then train ``train_steps`` steps; rates and peak memory of this process."""
    from hepclust.contrastive.augment import AugmentConfig, augment
    from hepclust.contrastive.data import seed_for
    from hepclust.contrastive.losses import cluster_loss, nt_xent
    from hepclust.contrastive.model import ContrastiveClusterer

    torch.set_num_threads(threads)
    ds = ShardedImages(manifest)
    sampler = GlobalBatchSampler(len(ds), batch_size, 0, 1, seed=0)
    batches = loader(ds, sampler, workers, pin_memory=False)
    t0 = time.perf_counter()
    n = sum(q.shape[0] for q, _ in batches)
    stream_rate = n / (time.perf_counter() - t0)
    torch.manual_seed(0)
    model = ContrastiveClusterer(6, 64)
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    cfg = AugmentConfig()
    done, t_train = 0, 0.0
    for step, (q, _) in enumerate(batches):
        if step == train_steps:
            break
        t1 = time.perf_counter()
        g = torch.Generator().manual_seed(seed_for(0, 0, step))
        (za, pa), (zb, pb) = model(augment(q, cfg, g)), model(augment(q, cfg, g))
        loss = nt_xent(za, zb, 0.5) + sum(cluster_loss(pa, pb, 1.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
        t_train += time.perf_counter() - t1
        done += q.shape[0]
    del batches  # reap the workers so their peak RSS is counted
    main_mb, worker_mb = _peak_rss_mb()
    return {"n_images": len(ds), "shards": len(ds.manifest.shards), "peak_rss_main_mb": main_mb,
            "peak_rss_worker_mb": worker_mb, "peak_rss_mb": main_mb + worker_mb,
            "stream_images_per_s": stream_rate, "train_images_per_s": done / t_train if t_train else float("nan")}


def run(source_manifest: str, sizes: Sequence[int], shard_size: int, batch_size: int, train_steps: int,
        workers: int, threads: int, scratch: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every size in its own process, on image sets written to (and removed from) ``scratch``."""
    rows = []
    read_manifest(source_manifest)  # a missing or bad source fails here, naming the file
    for n in sizes:
        with tempfile.TemporaryDirectory(dir=scratch, prefix=".bench-") as tmp:
            manifest = tiled_set(source_manifest, n, shard_size, Path(tmp))
            disk = sum(p.stat().st_size for p in Path(tmp).glob("*.h5"))
            args = json.dumps({"manifest": str(manifest), "batch_size": batch_size, "train_steps": train_steps,
                               "workers": workers, "threads": threads})
            out = subprocess.run([sys.executable, "-m", "hepclust.contrastive.benchmark", args], check=True,
                                 capture_output=True, text=True)
            rows.append({**json.loads(out.stdout.strip().splitlines()[-1]), "disk_mb": disk / 1e6})
    return rows


def main(argv: Sequence[str]) -> None:
    a: Mapping[str, Any] = json.loads(argv[0])
    print(json.dumps(measure(a["manifest"], a["batch_size"], a["train_steps"], a["workers"], a["threads"])))


if __name__ == "__main__":
    main(sys.argv[1:])
