"""Batched image augmentations that run on the training device.

Every transform acts on a whole batch tensor (B, 1, H, W) at once with
per-sample random parameters, so on a GPU the augmentation costs a few
kernels per batch and the CPU never becomes the bottleneck.  Two calls on the
same batch give the two "views" that the contrastive losses pull together.

Parameters follow the DUNE pixel study: random zeroed blocks (large and
small), mirrors, shear, rotation, grid distortion, scale, a semi-random crop
(translation), and +-2 % charge scale on Q and on log10(1 + Q).  Block counts
and sizes are given for a 768 x 256 image and scale with the image area and
side, so a small CPU image gets proportionally the same damage.

Padding: where a view samples outside the image (a shift, a rotation, a zoom
out) it can show empty detector (``zeros``).  For detector images that is
wrong for the very feature that tells the track classes apart: a through-going
muon shifted off its edge then *ends* inside the view, like a stopping muon
without its Bragg peak, and the contrastive loss teaches the encoder to ignore
whether a track ends.  ``reflection`` mirrors the image at its edges instead,
so a track that crossed an edge still touches it and a track that ended inside
still ends inside (LArTPC, the clusterer's answer on tuning seeds 5-8: 0.798,
0.790, 0.735, 0.753 against 0.760, 0.692, 0.737, 0.748 with zeros).  The
digits keep ``zeros``: their background *is* empty.

Data-parallel training: every rank draws the random parameters of the whole
*global* batch from the same generator and keeps its own rows, so a sample's
augmentation depends on its place in the global batch only, never on how the
batch is split across ranks (1 rank with B images = 2 ranks with B/2 each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

REFERENCE_AREA = 768 * 256
REFERENCE_SIDE = 256
PADDINGS = ("zeros", "reflection")


@dataclass(frozen=True)
class AugmentConfig:
    flip_x: bool = True
    flip_y: bool = True
    rotation_deg: float = 6.0  # sigma
    shear: float = 0.1  # sigma
    scale: float = 0.10  # sigma of relative scale
    translate: float = 0.10  # max shift as a fraction of the image (semi-random crop)
    grid_distortion: float = 0.03  # sigma of the control-point displacement (normalised coords)
    large_blocks: tuple[int, int] = (0, 50)  # count range at 768 x 256
    large_block_px: tuple[int, int] = (5, 10)
    small_blocks: tuple[int, int] = (500, 2000)
    small_block_px: tuple[int, int] = (1, 3)
    charge_scale: float = 0.02  # +- on Q
    log_scale: float = 0.02  # +- on log10(1 + Q)
    padding: str = "zeros"  # what a view shows outside the image: "zeros" (empty detector) or "reflection"

    def __post_init__(self) -> None:
        if self.padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {self.padding!r}")


def log_charge(q: torch.Tensor) -> torch.Tensor:
    """The network's input: log10(1 + Q), which tames the Bragg peaks and shower cores."""
    return torch.log10(1.0 + q.clamp_min(0.0))


def _uniform(b: int, lo: float, hi: float, device, generator=None) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(b, device=device, generator=generator)


def _block_mask(b: int, h: int, w: int, count: tuple[int, int], size_px: tuple[int, int], device, generator,
                rows: slice = slice(None)) -> torch.Tensor:
    """Boolean (B, 1, H, W) mask of zeroed k x k blocks centred on random pixels, cropped at the image edges.

    Why painted rather than dilated: a block is a handful of pixels, so scattering each one's k x k pixels
    costs count x k^2 writes per image, where drawing a seed probability per pixel and dilating the seed
    image with a max-pool (the earlier form) cost a random number and a k x k window per pixel, a third of
    a training step with the narrow encoder on a CPU.
    """
    area_ratio = (h * w) / REFERENCE_AREA
    side_ratio = min(h, w) / REFERENCE_SIDE
    # rounded at random (down or up, the expectation kept): on a 32 x 32 image 0-100 blocks at 768 x 256 are
    # 0-0.52 of a block, which plain rounding would all but never draw
    expected = _uniform(b, count[0], count[1], device, generator) * area_ratio
    n = torch.floor(expected + torch.rand(b, device=device, generator=generator)).long()
    n_max = int(math.ceil(max(count) * area_ratio))
    k = max(1, round(0.5 * (size_px[0] + size_px[1]) * max(side_ratio, 0.25)))
    k = k if k % 2 == 1 else k + 1
    mask = torch.zeros(b, h * w + 1, dtype=torch.bool, device=device)[rows]
    if n_max == 0:
        return mask[:, :-1].view(-1, 1, h, w)
    centre_r = torch.randint(h, (b, n_max), device=device, generator=generator)[rows]
    centre_c = torch.randint(w, (b, n_max), device=device, generator=generator)[rows]
    offsets = torch.arange(k, device=device) - k // 2
    r = centre_r[:, :, None, None] + offsets[:, None]  # (B, n, k, 1)
    c = centre_c[:, :, None, None] + offsets[None, :]  # (B, n, 1, k)
    used = (torch.arange(n_max, device=device) < n[rows, None])[:, :, None, None]
    inside = used & (r >= 0) & (r < h) & (c >= 0) & (c < w)
    flat = torch.where(inside, r * w + c, h * w)  # blocks not drawn and pixels off the image: the spare column
    mask.scatter_(1, flat.reshape(flat.shape[0], -1), True)
    return mask[:, :-1].view(-1, 1, h, w)


def _bicubic_basis(n: int, device) -> torch.Tensor:
    """(n, 4): bicubic interpolation (align_corners) of 4 control values onto n points, as a matrix.

    Interpolation is linear and separable, so the distortion field of a 4 x 4 control grid is
    basis_h @ ctrl @ basis_w.T: two small matrix products in place of F.interpolate over the whole field.
    """
    eye = torch.eye(4, device=device).view(4, 1, 4, 1)
    return F.interpolate(eye, size=(n, 1), mode="bicubic", align_corners=True).view(4, n).T


def sampling_grid(theta: torch.Tensor, ctrl: torch.Tensor | None, h: int, w: int) -> torch.Tensor:
    """(B, h, w, 2) sampling grid of ``F.grid_sample``: the affine map ``theta`` (B, 2, 3) of the output pixel
    centres (``F.affine_grid``'s convention, ``align_corners=False``) plus the bicubic interpolation of the
    control-point displacements ``ctrl`` (B, 2, 4, 4; ``None``: none).

    Why not ``F.affine_grid`` plus the field: both terms are sums of products of a function of the row and a
    function of the column (the affine part: 1 x column, row x 1, 1 x 1; the distortion: bicubic basis x
    basis), so an image's grid coordinate is ``left @ C @ right.T`` with 6 x 6 coefficients ``C``.  affine_grid
    multiplies (h w x 3) by (3 x 2) per image, a shape matrix kernels handle badly, and the field then needs its
    own pass and a transposed add: a LArTPC view's grid took 23 ms of one core, this 4 ms.

    Why two ``bmm`` with the image as the batch dimension, not one product over the whole batch: a matrix kernel
    may sum in another order when the batch (folded into a matrix dimension) changes size, so a data-parallel
    rank holding half the batch would see grids different in the last bit; per-image products do not depend on
    how many images there are (tested: one batch against its halves, bit for bit).
    """
    b, dev, dt = theta.shape[0], theta.device, theta.dtype
    rows = (2 * torch.arange(h, device=dev, dtype=dt) + 1) / h - 1  # pixel centres in [-1, 1]
    cols = (2 * torch.arange(w, device=dev, dtype=dt) + 1) / w - 1
    left = torch.cat([_bicubic_basis(h, dev).to(dt), rows[:, None], torch.ones_like(rows)[:, None]], 1)  # (h, 6)
    right = torch.cat([_bicubic_basis(w, dev).to(dt), cols[:, None], torch.ones_like(cols)[:, None]], 1)  # (w, 6)
    coef = torch.zeros(b, 2, 6, 6, device=dev, dtype=dt)  # (image, output coordinate, row function, column fn)
    if ctrl is not None:
        coef[:, :, :4, :4] = ctrl
    coef[:, :, 5, 4] = theta[:, :, 0]  # 1 x column
    coef[:, :, 4, 5] = theta[:, :, 1]  # row x 1
    coef[:, :, 5, 5] = theta[:, :, 2]  # the shift
    per_column = torch.bmm(coef.view(b * 2, 6, 6), right.T.expand(b * 2, 6, w))  # (image x coordinate, 6, w)
    per_column = per_column.view(b, 2, 6, w).permute(0, 2, 3, 1).reshape(b, 6, 2 * w)  # grid_sample's layout
    return torch.bmm(left.expand(b, h, 6), per_column).view(b, h, w, 2)


def augment(q: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator | None = None,
            global_batch: int | None = None, rows: slice | None = None) -> torch.Tensor:
    """One random view of a batch of charge images ``q`` (B, 1, H, W) -> network input (log charge).

    ``global_batch``/``rows``: ``q`` holds rows ``rows`` of a global batch of
    ``global_batch`` images; random parameters are drawn for all of them and
    sliced, so the view of an image is the same whichever rank holds it.
    """
    b_local, _, h, w = q.shape
    b = b_local if global_batch is None else global_batch
    rows = slice(None) if rows is None else rows
    dev = q.device

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return _uniform(b, lo, hi, dev, generator)[rows]

    def randn() -> torch.Tensor:
        return torch.randn(b, device=dev, generator=generator)[rows]

    def rand() -> torch.Tensor:
        return torch.rand(b, device=dev, generator=generator)[rows]

    x = q * (1.0 + uniform(-cfg.charge_scale, cfg.charge_scale)).view(b_local, 1, 1, 1)

    # affine: rotation, shear, scale, translation; then a smooth random grid distortion
    angle = randn() * math.radians(cfg.rotation_deg)
    shear = randn() * cfg.shear
    scale = 1.0 + randn() * cfg.scale
    tx = uniform(-cfg.translate, cfg.translate) * 2
    ty = uniform(-cfg.translate, cfg.translate) * 2
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos / scale, (-sin + shear * cos) / scale, tx], 1),
                         torch.stack([sin / scale, (cos + shear * sin) / scale, ty], 1)], 1)
    flip_x = torch.ones(b_local, device=dev)
    flip_y = torch.ones(b_local, device=dev)
    if cfg.flip_x:
        flip_x = torch.where(rand() < 0.5, -1.0, 1.0)
    if cfg.flip_y:
        flip_y = torch.where(rand() < 0.5, -1.0, 1.0)
    # a mirror negates the output coordinate the sampling grid is built from: flip theta's column
    theta = torch.stack([theta[:, :, 0] * flip_x[:, None], theta[:, :, 1] * flip_y[:, None], theta[:, :, 2]], 2)
    ctrl = None
    if cfg.grid_distortion > 0:
        ctrl = torch.randn(b, 2, 4, 4, device=dev, generator=generator)[rows] * cfg.grid_distortion
    x = F.grid_sample(x, sampling_grid(theta, ctrl, h, w), mode="bilinear", padding_mode=cfg.padding,
                      align_corners=False)

    zeroed = (_block_mask(b, h, w, cfg.large_blocks, cfg.large_block_px, dev, generator, rows)
              | _block_mask(b, h, w, cfg.small_blocks, cfg.small_block_px, dev, generator, rows))
    x = log_charge(x.masked_fill_(zeroed, 0.0))
    return x * (1.0 + uniform(-cfg.log_scale, cfg.log_scale)).view(b_local, 1, 1, 1)
