"""The two contrastive losses of Contrastive Clustering.

Instance level (SimCLR's NT-Xent): each of the 2B views must pick out its
partner view among the other 2B - 1 by cosine similarity / temperature.

Cluster level: the same NT-Xent applied to the *columns* of the two views'
B x K cluster-probability matrices -- cluster k in view a must match cluster k
in view b -- plus log K - H(p), with p the batch's mean cluster assignment,
which is zero only when clusters are used equally and so prevents collapse
into one cluster.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """NT-Xent between rows of a and b (each N x D): row i of a and row i of b are the positive pair."""
    n = a.shape[0]
    z = F.normalize(torch.cat([a, b], dim=0), dim=1)
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, target)


def assignment_entropy(p: torch.Tensor) -> torch.Tensor:
    """Entropy of the mean cluster assignment of a batch (B x K probabilities), in nats."""
    mean = p.sum(dim=0) / p.sum()
    return -(mean * torch.log(mean.clamp_min(1e-12))).sum()


def cluster_loss(pa: torch.Tensor, pb: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(cluster NT-Xent over columns, entropy regulariser sum over both views of log K - H)."""
    k = pa.shape[1]
    contrast = nt_xent(pa.T, pb.T, temperature)
    reg = 2 * math.log(k) - assignment_entropy(pa) - assignment_entropy(pb)
    return contrast, reg
