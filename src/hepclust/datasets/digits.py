"""scikit-learn's handwritten digits as images: the external benchmark of the contrastive clusterer."""

from __future__ import annotations

import numpy as np

from hepclust.images import write_images


def digits_to_file(out: str, size: int, n_samples: int | None) -> None:
    """scikit-learn's 8x8 handwritten digits (shipped in the wheel), upsampled to size x size for the CNN."""
    import torch
    from sklearn.datasets import load_digits

    d = load_digits()
    images, labels = d.images.astype(np.float32), d.target.astype(np.int64)
    if n_samples is not None:
        images, labels = images[:n_samples], labels[:n_samples]
    up = torch.nn.functional.interpolate(torch.from_numpy(images)[:, None], size=(size, size), mode="bilinear",
                                         align_corners=False)[:, 0].numpy()
    write_images(out, np.clip(up, 0, None), labels, [str(i) for i in range(10)],
                 {"size": size, "n_samples": n_samples, "source": "sklearn.datasets.load_digits"},
                 units="grey level (0-16)")
