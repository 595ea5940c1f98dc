"""Image files shared by the LArTPC simulation, the digits benchmark and the contrastive clusterer.

Stored dense, float32 (N, H, W) in ke-, gzip-compressed in one HDF5 chunk per
image.  Why dense: a CNN consumes dense tensors, the images are small, and
gzip squeezes the empty pixels (>95 %) about as well as a sparse format would,
while reading stays a single contiguous slice per batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import json

import h5py
import numpy as np

from hepclust import __version__
from hepclust.errors import InputError
from hepclust.io import IMAGES_KIND, SCHEMA_VERSION, atomic_output, read_h5


def write_images(path: str, images: np.ndarray, labels: np.ndarray, class_names: list[str],
                 params: Mapping[str, Any], units: str) -> None:
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["kind"] = IMAGES_KIND
            f.attrs["created_by"] = f"hepclust {__version__}"
            f.attrs["params"] = json.dumps(dict(params), sort_keys=True)
            f.attrs["class_names"] = json.dumps(class_names)
            f.attrs["units"] = units
            f.create_dataset("images", data=images, chunks=(1, *images.shape[1:]), compression="gzip",
                             compression_opts=4, shuffle=True, track_times=False)
            f.create_dataset("labels", data=labels, track_times=False)


def read_images(path: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    data, attrs = read_h5(path, IMAGES_KIND, required=("images", "labels"))
    images, labels = data["images"], data["labels"]
    if images.ndim != 3 or images.shape[0] != labels.shape[0] or images.shape[0] == 0:
        raise InputError(path, f"expected images (N, H, W) and N labels, got {images.shape} and {labels.shape}")
    if not np.all(np.isfinite(images)):
        raise InputError(path, "images contain NaN or infinity")
    return images, labels, json.loads(attrs["class_names"])
