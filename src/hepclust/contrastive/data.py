"""Streaming input: a torch Dataset over an image set's HDF5 shards, and the seeded global batch order.

Why streaming: five million 768 x 256 images are ~4 TB as float32; no node holds
that.  The dataset keeps only the manifest and a few open shard files per
process (h5py handles are opened lazily *inside* each DataLoader worker, never
inherited across a fork), so memory does not grow with the number of images.

Why a batch sampler of *global* batches: every rank draws the same seeded
permutation for the epoch (from (seed, epoch) only, so resuming needs no saved
random state and works on any world size), cuts it into global batches of
``batch_size`` images and takes its own contiguous slice.  Gathered in rank
order, the slices are exactly the global batch a single process would see.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, Sampler, SequentialSampler

from hepclust.errors import InputError
from hepclust.images import Manifest, check_finite, open_shard, read_manifest


def seed_for(*keys: int) -> int:
    """A 63-bit torch seed derived from integers (e.g. seed, epoch, step) through numpy's SeedSequence."""
    hi, lo = np.random.SeedSequence([int(k) for k in keys]).generate_state(2, np.uint32)
    return int((int(hi) << 32 | int(lo)) & 0x7FFF_FFFF_FFFF_FFFF)


class ShardedImages(Dataset):
    """Images of one image set, by global index: (charge image (1, H, W) float32, global index).

    ``max_open`` bounds the shard files held open per process, and each file's
    chunk cache is one image: memory is independent of the number of shards.

    ``cache_bytes``: when the whole decoded set fits in it, each shard is read
    whole on first use, once per process, and served from memory; a larger set
    streams image by image, as before.  Why: an epoch reads every image again,
    and image-by-image reads of gzip chunks cost a DataLoader worker 0.2 ms per
    64 x 128 image (2026-11-30: 0.5 s per LArTPC epoch, 0.1 s per digits epoch),
    on the cores the trainings run on.  Why all or nothing: the epoch order is a
    permutation of the whole set, so caching the shards that fit of a larger set
    would serve a small fraction of the reads while holding the budget in every
    worker.  Memory: at most ``cache_bytes`` per set and process (each DataLoader
    worker holds its own copy).
    """

    def __init__(self, manifest: str | os.PathLike[str] | Manifest, max_open: int = 4, cache_bytes: int = 0) -> None:
        self.manifest = manifest if isinstance(manifest, Manifest) else read_manifest(manifest)
        self.starts = np.array([s.start for s in self.manifest.shards], np.int64)
        self.max_open = max_open
        self.cached = 4 * self.manifest.n_images * self.manifest.height * self.manifest.width <= cache_bytes
        self._chunk_bytes = 4 * self.manifest.height * self.manifest.width + 4096
        for shard in self.manifest.shards:  # fail before training starts, naming the bad shard
            open_shard(shard, self.manifest).file.close()
        self._files: OrderedDict[int, h5py.Dataset] = OrderedDict()
        self._cached: dict[int, np.ndarray] = {}  # shard -> its decoded images (only when self.cached)
        self._pid = os.getpid()

    def __len__(self) -> int:
        return self.manifest.n_images

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_files"] = OrderedDict()  # open HDF5 handles never cross a process boundary
        state["_cached"] = {}  # nor do decoded shards: each process reads its own
        return state

    def _own_process(self) -> None:
        """In a forked DataLoader worker: drop the parent's handles and decoded shards, open and read our own."""
        if self._pid != os.getpid():
            self._files, self._cached, self._pid = OrderedDict(), {}, os.getpid()

    def _images(self, k: int) -> h5py.Dataset:
        self._own_process()
        if k in self._files:
            self._files.move_to_end(k)
            return self._files[k]
        while len(self._files) >= self.max_open:
            _, old = self._files.popitem(last=False)
            old.file.close()
        ds = open_shard(self.manifest.shards[k], self.manifest, rdcc_nbytes=self._chunk_bytes, rdcc_nslots=11)
        self._files[k] = ds
        return ds

    def _cached_shard(self, k: int) -> np.ndarray:
        """Shard k's images in memory (read whole and checked on first use in this process)."""
        self._own_process()
        if k not in self._cached:
            shard = self.manifest.shards[k]
            try:
                images = np.asarray(self._images(k)[()], np.float32)
            except OSError as exc:
                raise InputError(shard.path, f"cannot read its images (corrupt?): {exc}") from exc
            check_finite(images, shard.path)
            self._cached[k] = images
        return self._cached[k]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        index = int(index)
        if not 0 <= index < len(self):
            raise IndexError(f"image {index} is outside the set of {len(self)} ({self.manifest.path})")
        k = int(np.searchsorted(self.starts, index, side="right") - 1)
        shard = self.manifest.shards[k]
        if self.cached:
            return torch.from_numpy(self._cached_shard(k)[index - shard.start].copy())[None], index
        try:
            img = self._images(k)[index - shard.start]
        except OSError as exc:
            raise InputError(shard.path, f"cannot read image {index - shard.start} (corrupt?): {exc}") from exc
        check_finite(img[None], shard.path, index - shard.start)
        return torch.from_numpy(np.ascontiguousarray(img, np.float32))[None], index

    def labels(self) -> np.ndarray:
        """Truth labels of every image in global order (8 bytes per image)."""
        parts = []
        for shard in self.manifest.shards:
            with h5py.File(shard.path, "r") as f:
                parts.append(f["labels"][()])
        return np.concatenate(parts).astype(np.int64)


class GlobalBatchSampler(Sampler[list[int]]):
    """This rank's slice of every global batch of a seeded per-epoch permutation; the ragged end is dropped.

    BN statistics and NT-Xent want full batches, as before streaming.  Call
    :meth:`set_epoch` before iterating: same (seed, epoch), same order.
    """

    def __init__(self, n_images: int, global_batch: int, rank: int, world_size: int, seed: int) -> None:
        if global_batch % world_size:
            raise ValueError(f"global_batch={global_batch} is not divisible by world_size={world_size}")
        if global_batch > n_images:
            raise ValueError(f"global_batch={global_batch} is larger than the {n_images} images")
        self.n, self.global_batch, self.rank, self.world = n_images, global_batch, rank, world_size
        self.local = global_batch // world_size
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def permutation(self) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed_for(self.seed, self.epoch))
        return torch.randperm(self.n, generator=g)

    def __len__(self) -> int:
        return self.n // self.global_batch

    def __iter__(self) -> Iterator[list[int]]:
        perm = self.permutation()
        lo = self.rank * self.local
        for b in range(len(self)):
            start = b * self.global_batch + lo
            yield perm[start:start + self.local].tolist()


def loader(dataset: ShardedImages, batch_sampler: Sampler[list[int]], workers: int, pin_memory: bool
           ) -> DataLoader:
    """DataLoader over the shards: ``workers`` processes read and decompress while the model trains."""
    return DataLoader(dataset, batch_sampler=batch_sampler, num_workers=workers, pin_memory=pin_memory,
                      persistent_workers=workers > 0, prefetch_factor=2 if workers > 0 else None)


def sequential_loader(dataset: ShardedImages, batch_size: int, workers: int, pin_memory: bool) -> DataLoader:
    """Every image once, in global order (embedding)."""
    return DataLoader(dataset, batch_sampler=BatchSampler(SequentialSampler(dataset), batch_size, False),
                      num_workers=workers, pin_memory=pin_memory)
