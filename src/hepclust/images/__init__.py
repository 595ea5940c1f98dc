"""Image files shared by the LArTPC simulation, the digits benchmark and the contrastive clusterer.

An image set is a list of *shards* (image files holding a contiguous range of
the set's global image indices) plus a small JSON *manifest* naming them with
their counts, class counts and geometry.  Training reads the manifest first and
then streams images from the shards, so no job ever needs the whole set in
memory, and a set of five million 768 x 256 images is a few thousand
independent files that independent SLURM jobs can write.

Stored dense, float32 (N, H, W) in ke-, gzip-compressed in one HDF5 chunk per
image.  Why dense: a CNN consumes dense tensors, the images are small, and
gzip squeezes the empty pixels (>95 %) about as well as a sparse format would,
while reading stays a single contiguous slice per batch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from hepclust import __version__
from hepclust.errors import InputError
from hepclust.io import IMAGES_KIND, SCHEMA_VERSION, atomic_output, read_h5

MANIFEST_KIND = "image_manifest"


def write_images(path: str | os.PathLike[str], images: np.ndarray, labels: np.ndarray, class_names: list[str],
                 params: Mapping[str, Any], units: str, start: int = 0) -> None:
    """One image file; ``start`` is the global index of its first image when it is a shard of a set."""
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["kind"] = IMAGES_KIND
            f.attrs["created_by"] = f"hepclust {__version__}"
            f.attrs["params"] = json.dumps(dict(params), sort_keys=True)
            f.attrs["class_names"] = json.dumps(class_names)
            f.attrs["units"] = units
            f.attrs["start"] = int(start)
            f.create_dataset("images", data=images, chunks=(1, *images.shape[1:]), compression="gzip",
                             compression_opts=4, shuffle=True, track_times=False)
            f.create_dataset("labels", data=labels, track_times=False)


def check_finite(images: np.ndarray, path: os.PathLike[str] | str, first: int = 0) -> None:
    """Raise naming the file and the first image (numbered from ``first`` in it) that holds NaN or infinity."""
    bad = np.flatnonzero(~np.isfinite(images).reshape(len(images), -1).all(axis=1))
    if bad.size:
        raise InputError(path, f"image {first + bad[0]} contains NaN or infinity")


def read_images(path: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    data, attrs = read_h5(path, IMAGES_KIND, required=("images", "labels"))
    images, labels = data["images"], data["labels"]
    if images.ndim != 3 or images.shape[0] != labels.shape[0] or images.shape[0] == 0:
        raise InputError(path, f"expected images (N, H, W) and N labels, got {images.shape} and {labels.shape}")
    check_finite(images, path)
    return images, labels, json.loads(attrs["class_names"])


# ---- sharded image sets -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shard:
    path: Path  # absolute
    start: int  # global index of its first image
    count: int
    size_bytes: int


@dataclass(frozen=True)
class Manifest:
    """What a reader needs before opening any shard: where the images are, how many, what shape."""

    path: Path
    shards: tuple[Shard, ...]
    height: int
    width: int
    class_names: tuple[str, ...]
    class_counts: tuple[int, ...]
    units: str
    params: dict[str, Any]

    @property
    def n_images(self) -> int:
        return sum(s.count for s in self.shards)


def write_manifest(out: str | os.PathLike[str], shard_paths: Sequence[str | os.PathLike[str]],
                   params: Mapping[str, Any]) -> dict[str, Any]:
    """Check the shards of one image set fit together and write their JSON manifest atomically.

    Shards must be readable image files of one shape, class list and unit, and
    cover global indices 0..N-1 contiguously in the given order.  Paths are stored
    relative to the manifest's folder, so a copied results tree stays valid.
    """
    out = Path(out)
    entries: list[dict[str, Any]] = []
    shape = class_names = units = None
    totals: np.ndarray | None = None
    expected_start = 0
    for sp in map(Path, shard_paths):
        data, attrs = read_h5(sp, IMAGES_KIND, required=("images", "labels"))
        images, labels = data["images"], data["labels"]
        if images.ndim != 3 or images.shape[0] != labels.shape[0] or images.shape[0] == 0:
            raise InputError(sp, f"expected images (N, H, W) and N labels, got {images.shape} and {labels.shape}")
        names = json.loads(attrs["class_names"])
        if shape is None:
            shape, class_names, units = images.shape[1:], names, attrs["units"]
            totals = np.zeros(len(names), np.int64)
        elif images.shape[1:] != shape or names != class_names or attrs["units"] != units:
            raise InputError(sp, f"images {images.shape[1:]} / classes / units differ from the set's first shard "
                                 f"({shape}, {class_names}, {units})")
        if int(attrs.get("start", 0)) != expected_start:
            raise InputError(sp, f"shard starts at image {attrs.get('start')}, expected {expected_start}")
        counts = np.bincount(labels, minlength=len(names))
        totals += counts
        entries.append({"path": os.path.relpath(sp, out.parent), "start": expected_start,
                        "count": int(images.shape[0]), "class_counts": counts.tolist(),
                        "size_bytes": sp.stat().st_size})
        expected_start += int(images.shape[0])
    if not entries:
        raise InputError(out, "an image set needs at least one shard")
    manifest = {"schema_version": SCHEMA_VERSION, "kind": MANIFEST_KIND, "created_by": f"hepclust {__version__}",
                "n_images": expected_start, "height": int(shape[0]), "width": int(shape[1]),
                "class_names": class_names, "class_counts": totals.tolist(),
                "class_fractions": (totals / totals.sum()).round(6).tolist(), "units": units,
                "params": dict(params), "shards": entries}
    with atomic_output(out) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read a manifest and check that every shard it names is present with the size it had."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "image-set manifest does not exist")
    try:
        m = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(p, f"not a readable JSON manifest: {exc}") from exc
    if not isinstance(m, dict) or m.get("kind") != MANIFEST_KIND:
        raise InputError(p, f"expected a JSON file of kind '{MANIFEST_KIND}'")
    if m.get("schema_version") != SCHEMA_VERSION:
        raise InputError(p, f"schema_version {m.get('schema_version')!r} is not the supported {SCHEMA_VERSION}")
    shards = []
    for e in m["shards"]:
        sp = (p.parent / e["path"]).resolve()
        if not sp.exists():
            raise InputError(sp, f"shard listed in {p} does not exist")
        size = sp.stat().st_size
        if size != e["size_bytes"]:
            raise InputError(sp, f"shard is {size} bytes, {p} lists {e['size_bytes']}: truncated or rewritten "
                                 "since the manifest was made")
        shards.append(Shard(sp, int(e["start"]), int(e["count"]), size))
    return Manifest(p, tuple(shards), int(m["height"]), int(m["width"]), tuple(m["class_names"]),
                    tuple(m["class_counts"]), m["units"], m["params"])


def open_shard(shard: Shard, manifest: Manifest, **h5_kwargs: Any) -> h5py.Dataset:
    """Open a shard's ``images`` dataset after checking it against the manifest (count, geometry)."""
    try:
        f = h5py.File(shard.path, "r", **h5_kwargs)
    except OSError as exc:
        raise InputError(shard.path, f"not a readable HDF5 file (corrupt or truncated?): {exc}") from exc
    if "images" not in f:
        f.close()
        raise InputError(shard.path, "missing dataset images")
    ds = f["images"]
    expected = (shard.count, manifest.height, manifest.width)
    if ds.shape != expected:
        f.close()
        raise InputError(shard.path, f"images have shape {ds.shape}, the manifest {manifest.path} expects "
                                     f"{expected} (another geometry or count?)")
    return ds


def read_image_set(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every image and label of a (small) image set, e.g. the held-out set for the baselines and gallery."""
    manifest = read_manifest(path)
    parts = [read_images(str(s.path)) for s in manifest.shards]
    for s, (imgs, _, _) in zip(manifest.shards, parts):
        if imgs.shape != (s.count, manifest.height, manifest.width):
            raise InputError(s.path, f"images have shape {imgs.shape}, {manifest.path} expects "
                                     f"{(s.count, manifest.height, manifest.width)}")
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            list(manifest.class_names))
