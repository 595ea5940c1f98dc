"""CNN encoder with an instance head (SimCLR) and a cluster head (Contrastive Clustering)."""

from __future__ import annotations

import torch
from torch import nn

ENCODER_CHANNELS = (48, 96, 192, 192, 192, 192)
BN_FROM_BLOCK = 2  # batch norm in the deeper blocks (index >= 2), as in the DUNE study


class Encoder(nn.Module):
    """Six stride-2 3x3 conv blocks, then global average pooling: any image size in, 192 features out."""

    def __init__(self, in_channels: int = 1, channels: tuple[int, ...] = ENCODER_CHANNELS) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = in_channels
        for i, c in enumerate(channels):
            layers.append(nn.Conv2d(c_in, c, 3, stride=2, padding=1, bias=i < BN_FROM_BLOCK))
            if i >= BN_FROM_BLOCK:
                layers.append(nn.BatchNorm2d(c))
            layers.append(nn.ReLU(inplace=True))
            c_in = c
        self.features = nn.Sequential(*layers)
        self.out_dim = c_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


class ContrastiveClusterer(nn.Module):
    """Encoder + instance projection (to a latent_dim space) + cluster head (softmax over K)."""

    def __init__(self, n_clusters: int, latent_dim: int = 64, in_channels: int = 1,
                 channels: tuple[int, ...] = ENCODER_CHANNELS) -> None:
        super().__init__()
        self.encoder = Encoder(in_channels, tuple(channels))
        d = self.encoder.out_dim
        self.instance_head = nn.Sequential(nn.Linear(d, d), nn.ReLU(inplace=True), nn.Linear(d, latent_dim))
        self.cluster_head = nn.Sequential(nn.Linear(d, d), nn.ReLU(inplace=True), nn.Linear(d, n_clusters))

    def heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder features -> (L2-normalised instance embedding, cluster probabilities)."""
        z = nn.functional.normalize(self.instance_head(h), dim=1)
        return z, torch.softmax(self.cluster_head(h), dim=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L2-normalised instance embedding, cluster probabilities)."""
        return self.heads(self.encoder(x))
