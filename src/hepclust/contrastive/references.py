"""References that use the labels: how much of the classes the images and the encoder carry.

They are ceilings for the clusterer, never inputs to it:

* the supervised reference trains the *same* encoder architecture on the same
  training images with their labels (cross-entropy, one-cycle learning rate,
  the image set's mirrors as the only augmentation) and classifies the held-out
  images: what this network can reach on these images at all;
* the linear probe fits a logistic regression on the frozen contrastive
  encoder's features of the training images and scores the held-out ones: how
  much of the classes the self-supervised features hold, linearly.

The gap between the two says whether a better clusterer needs better features
(probe far below supervised) or a better way to cut them (clusterer far below
the probe).

Where an image set has no held-out images (the digits: one set, clustered and
scored whole), a reference fitted on the images it is scored on would read its
memory, not its generalisation (both read 1.000 on the digits).  There both are
cross-fitted instead (:func:`cross_fitted`): k stratified folds, every image
predicted by a model that never saw its label.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from torch import nn

from hepclust.contrastive.augment import AugmentConfig, augment, log_charge
from hepclust.contrastive.model import Encoder


def linear_probe(train_features: np.ndarray, train_labels: np.ndarray, test_features: np.ndarray) -> np.ndarray:
    """Predicted classes of the test features from a logistic regression on the standardised train features."""
    scaler = StandardScaler().fit(train_features)
    clf = LogisticRegression(max_iter=5000).fit(scaler.transform(train_features), train_labels)
    return clf.predict(scaler.transform(test_features))


def cross_fitted(fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], labels: np.ndarray, folds: int,
                 seed: int) -> np.ndarray:
    """Out-of-fold predictions: ``fit_predict(train_index, test_index)`` fits on ``train_index`` (with those
    labels) and predicts ``test_index``, once per stratified fold; every index is predicted exactly once, by a
    model fitted without it.  Costs ``folds`` fits on (folds - 1) / folds of the images each."""
    labels = np.asarray(labels)
    smallest = int(np.unique(labels, return_counts=True)[1].min()) if labels.size else 0
    if not 2 <= folds <= smallest:
        raise ValueError(f"cross-fitting needs 2 <= folds <= the smallest class's {smallest} images, got {folds}")
    pred = np.full(labels.shape, -1, np.int64)
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(labels.size), labels)
    for train_index, test_index in splits:
        pred[test_index] = fit_predict(train_index, test_index)
    return pred


class SupervisedNet(nn.Module):
    """The contrastive model's encoder with a linear classifier on its pooled features."""

    def __init__(self, n_classes: int, channels: tuple[int, ...]) -> None:
        super().__init__()
        self.encoder = Encoder(1, channels)
        self.classifier = nn.Linear(self.encoder.out_dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.encoder(x))


def train_supervised(images: torch.Tensor, labels: np.ndarray, test_images: torch.Tensor, n_classes: int,
                     channels: tuple[int, ...], mirrors: tuple[bool, bool], epochs: int, batch_size: int,
                     max_learning_rate: float, seed: int, device: torch.device = torch.device("cpu"),
                     amp_dtype: torch.dtype | None = None) -> np.ndarray:
    """Train on (images, labels), charge images (N, 1, H, W); return the predicted classes of ``test_images``.

    ``amp_dtype``: the autocast dtype of the training steps (bfloat16 on a CPU, as the contrastive training of
    the set runs; ``None``: float32).  The held-out predictions are computed in float32."""
    torch.manual_seed(seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    flips = AugmentConfig(flip_x=mirrors[0], flip_y=mirrors[1], rotation_deg=0.0, shear=0.0, scale=0.0,
                          translate=0.0, grid_distortion=0.0, large_blocks=(0, 0), small_blocks=(0, 0),
                          charge_scale=0.0, log_scale=0.0)
    net = SupervisedNet(n_classes, channels).to(device, memory_format=torch.channels_last)
    images, test_images = images.to(device), test_images.to(device)
    y = torch.from_numpy(np.asarray(labels, np.int64)).to(device)
    n = images.shape[0]
    batch = min(batch_size, n)
    steps = n // batch
    opt = torch.optim.AdamW(net.parameters(), lr=max_learning_rate, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_learning_rate, total_steps=epochs * steps)
    for _ in range(epochs):
        net.train()
        order = torch.randperm(n, generator=gen, device=device)
        for s in range(steps):
            idx = order[s * batch:(s + 1) * batch]
            x = augment(images[idx], flips, gen).contiguous(memory_format=torch.channels_last)
            with torch.autocast(device_type=device.type, dtype=amp_dtype or torch.float32,
                                enabled=amp_dtype is not None):
                logits = net(x)
            loss = nn.functional.cross_entropy(logits.float(), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    with torch.no_grad():
        pred = [net(log_charge(test_images[i:i + 256]).contiguous(memory_format=torch.channels_last)).argmax(1)
                for i in range(0, test_images.shape[0], 256)]
    return torch.cat(pred).cpu().numpy()
