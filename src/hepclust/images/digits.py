"""scikit-learn's handwritten digits as images: the external benchmark of the contrastive clusterer."""

from __future__ import annotations

import numpy as np

from hepclust.images import write_images, write_manifest


def digits_to_file(shard_out: str, manifest_out: str, size: int, n_samples: int | None) -> None:
    """scikit-learn's 8x8 handwritten digits (shipped in the wheel), upsampled to size x size for the CNN.

    Written as a one-shard image set with its manifest, so the trainer reads
    digits through the same streaming path as the detector images.
    """
    import torch
    from sklearn.datasets import load_digits

    d = load_digits()
    images, labels = d.images.astype(np.float32), d.target.astype(np.int64)
    if n_samples is not None:
        images, labels = images[:n_samples], labels[:n_samples]
    up = torch.nn.functional.interpolate(torch.from_numpy(images)[:, None], size=(size, size), mode="bilinear",
                                         align_corners=False)[:, 0].numpy()
    params = {"size": size, "n_samples": n_samples, "source": "sklearn.datasets.load_digits"}
    write_images(shard_out, np.clip(up, 0, None), labels, [str(i) for i in range(10)], params,
                 units="grey level (0-16)")
    write_manifest(manifest_out, [shard_out], params)
