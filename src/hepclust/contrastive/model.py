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
        autocast = torch.is_autocast_enabled(x.device.type)
        for layer in self.features:
            if autocast and isinstance(layer, nn.Conv2d) and _single_pixel(layer, x):
                # float32 where a convolution makes one pixel: oneDNN's bfloat16 weight gradient of the last
                # 3 x 3 stride-2 convolution on 32 x 32 images (1 x 1 onto 1 x 1) reads memory it never wrote
                # (torch 2.13, AMD EPYC: values up to 5e27 or NaN, different at every call).  A single output
                # pixel per image costs next to nothing in float32; larger outputs (every LArTPC layer) keep
                # bfloat16, bit for bit as before
                with torch.autocast(x.device.type, enabled=False):
                    x = layer(x.float())
            else:
                x = layer(x)
        return x.mean(dim=(2, 3))


def _single_pixel(conv: nn.Conv2d, x: torch.Tensor) -> bool:
    """Whether ``conv`` maps ``x`` onto a single pixel per channel."""
    h, w = x.shape[-2:]
    (kh, kw), (sh, sw), (ph, pw) = conv.kernel_size, conv.stride, conv.padding
    return (h + 2 * ph - kh) // sh + 1 == 1 and (w + 2 * pw - kw) // sw + 1 == 1


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
