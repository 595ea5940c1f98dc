"""Contrastive clustering: losses against hand computation, augmentations within bounds, training, resume."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from hepclust.contrastive.augment import AugmentConfig, augment, log_charge
from hepclust.contrastive.losses import assignment_entropy, cluster_loss, nt_xent
from hepclust.contrastive.model import ContrastiveClusterer
from hepclust.contrastive.train import TrainConfig, embed, load_checkpoint, train

from .imagesets import write_set


def _nt_xent_by_hand(a: np.ndarray, b: np.ndarray, t: float) -> float:
    """Literal transcription of the NT-Xent definition with Python loops."""
    z = np.concatenate([a, b])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n = a.shape[0]
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        num = math.exp(float(z[i] @ z[j]) / t)
        den = sum(math.exp(float(z[i] @ z[k]) / t) for k in range(2 * n) if k != i)
        total += -math.log(num / den)
    return total / (2 * n)


def test_nt_xent_equals_hand_computation():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    got = nt_xent(torch.tensor(a), torch.tensor(b), 0.5).item()
    assert got == pytest.approx(_nt_xent_by_hand(a, b, 0.5), rel=1e-10)


def test_nt_xent_of_two_orthogonal_pairs_by_hand():
    # a = [e1, e2], b = [e1, e2]: for view e1 the positive has cos 1, the others cos 0 (twice) -> one value
    e = torch.eye(2, dtype=torch.float64)
    t = 0.5
    expected = -math.log(math.exp(1 / t) / (math.exp(1 / t) + 2 * math.exp(0.0)))
    assert nt_xent(e, e, t).item() == pytest.approx(expected, rel=1e-12)


def test_cluster_loss_contrasts_columns_and_entropy_term_is_zero_for_balanced_use():
    pa = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]], dtype=torch.float64)
    pb = torch.tensor([[0.8, 0.2], [0.1, 0.9], [0.7, 0.3], [0.4, 0.6]], dtype=torch.float64)
    contrast, reg = cluster_loss(pa, pb, 1.0)
    assert contrast.item() == pytest.approx(_nt_xent_by_hand(pa.T.numpy(), pb.T.numpy(), 1.0), rel=1e-10)
    # both views use the two clusters equally (column sums 2.0 and 2.0): log K - H = 0
    assert reg.item() == pytest.approx(0.0, abs=1e-12)


def test_entropy_term_is_two_log_k_when_everything_collapses_into_one_cluster():
    p = torch.tensor([[1.0, 0.0, 0.0]] * 5, dtype=torch.float64)
    assert assignment_entropy(p).item() == pytest.approx(0.0, abs=1e-9)
    assert cluster_loss(p, p, 1.0)[1].item() == pytest.approx(2 * math.log(3), rel=1e-9)


@pytest.fixture()
def track_images():
    """A straight track and a blob, in ke-, on 64 x 128 images."""
    q = torch.zeros(4, 1, 64, 128)
    q[0, 0, 30:33, 10:110] = 40.0
    q[1, 0, 20:40, 50:70] = 25.0
    q[2, 0, 5:60, 60:63] = 40.0
    q[3, 0, 10:12, 10:50] = 80.0
    return q


def test_augment_keeps_shape_and_log_charge_within_the_stated_bounds(track_images):
    g = torch.Generator().manual_seed(0)
    x = augment(track_images, AugmentConfig(), g)
    assert x.shape == track_images.shape
    assert torch.isfinite(x).all() and (x >= 0).all()
    # bilinear resampling never exceeds the input maximum; charge scale +2 % and log scale +2 % at most
    assert x.max() <= log_charge(track_images.max() * 1.02) * 1.02 + 1e-6


def test_augment_without_geometry_only_scales_charge_within_two_percent(track_images):
    cfg = AugmentConfig(flip_x=False, flip_y=False, rotation_deg=0, shear=0, scale=0, translate=0,
                        grid_distortion=0, large_blocks=(0, 0), small_blocks=(0, 0))
    g = torch.Generator().manual_seed(1)
    x = augment(track_images, cfg, g)
    ref = log_charge(track_images)
    nz = ref > 0
    ratio = x[nz] / ref[nz]
    # Q scaled by at most 2 %, then log10(1+Q) by at most 2 %: the combined ratio stays within these bounds
    lo = (torch.log10(1 + track_images[nz] * 0.98) * 0.98) / ref[nz]
    hi = (torch.log10(1 + track_images[nz] * 1.02) * 1.02) / ref[nz]
    assert torch.all(ratio >= lo - 1e-5) and torch.all(ratio <= hi + 1e-5)
    assert x[~nz].abs().max() < 1e-4  # identity resampling creates no charge (up to float rounding)


def _shifted_views(q: torch.Tensor, padding: str, n: int = 64) -> torch.Tensor:
    """``n`` views of each image with translation (up to 20 %) as the only transform, charge > 0 as a mask."""
    cfg = AugmentConfig(flip_x=False, flip_y=False, rotation_deg=0, shear=0, scale=0, translate=0.2,
                        grid_distortion=0, large_blocks=(0, 0), small_blocks=(0, 0), charge_scale=0, log_scale=0,
                        padding=padding)
    return augment(q.repeat(n, 1, 1, 1), cfg, torch.Generator().manual_seed(4))[:, 0] > 0.05


def test_reflection_padding_keeps_where_a_track_ends_zeros_padding_moves_it():
    """A track that crosses the image (edge to edge) must still touch both edges in every shifted view, and a
    track that stops inside must still touch its one edge and stop inside: the class is whether a track ends."""
    q = torch.zeros(2, 1, 64, 128)
    q[0, 0, 30:33, :] = 40.0  # through-going: columns 0-127
    q[1, 0, 30:33, :60] = 40.0  # stopping: enters at the left edge, ends at column 59
    for padding in ("reflection", "zeros"):
        cols = _shifted_views(q, padding).any(dim=1)  # (views, columns): which columns hold charge
        through, stopping = cols[0::2], cols[1::2]
        kept = (through[:, 0] & through[:, -1] & stopping[:, 0] & ~stopping[:, -40:].any(dim=1)).float().mean()
        if padding == "reflection":
            assert kept == 1.0  # every view of both tracks keeps its topology
            assert through.all()  # and the through-going track shows no gap anywhere
        else:
            # the empty-detector crop: most shifted views cut the through-going track short of an edge or pull
            # the stopping track off its entry edge, so "ends inside" no longer tells the classes apart
            assert kept < 0.2


def test_an_unknown_padding_is_a_config_error_naming_the_key():
    from hepclust.contrastive.study import train_config
    from hepclust.errors import ConfigError

    with pytest.raises(ConfigError, match=r"contrastive\.train\.lartpc\.augment.*padding.*'wrap'"):
        train_config({"augment": {"padding": "wrap"}}, "contrastive.train.lartpc")


def test_block_dropout_removes_a_fraction_of_the_charge_but_not_all(track_images):
    cfg = AugmentConfig(flip_x=False, flip_y=False, rotation_deg=0, shear=0, scale=0, translate=0,
                        grid_distortion=0, large_blocks=(50, 50), small_blocks=(2000, 2000), charge_scale=0,
                        log_scale=0)
    x = augment(track_images, cfg, torch.Generator().manual_seed(2))
    kept = (x > 1e-3).sum() / (track_images > 0).sum()
    assert 0.3 < kept < 0.99


def test_a_rank_holding_part_of_the_global_batch_sees_the_same_views_as_one_rank_holding_all(track_images):
    """Every random parameter, block positions included, is drawn for the global batch and sliced."""
    whole = augment(track_images, AugmentConfig(), torch.Generator().manual_seed(3))
    for rows in (slice(0, 2), slice(2, 4)):
        part = augment(track_images[rows], AugmentConfig(), torch.Generator().manual_seed(3), 4, rows)
        assert torch.equal(part, whole[rows])


def test_blocks_zero_k_by_k_squares_cropped_at_the_edges():
    """One 3 x 3 block per image (5-10 px at 768 x 256 scale to 3 px at 64 x 256): 9 pixels, fewer at an edge."""
    from hepclust.contrastive.augment import _block_mask
    h, w = 64, 256
    mask = _block_mask(400, h, w, (12, 12), (5, 10), "cpu", torch.Generator().manual_seed(0))
    counts = mask.sum(dim=(1, 2, 3))
    assert counts.max() == 9 and counts.min() >= 4  # a corner keeps 2 x 2 of the 3 x 3
    rows, cols = torch.nonzero(mask[0, 0], as_tuple=True)
    assert rows.max() - rows.min() <= 2 and cols.max() - cols.min() <= 2


@pytest.mark.parametrize("h, w, size_px", [(64, 128, (5, 10)), (8, 8, (5, 10)), (5, 7, (20, 24))])
def test_blocks_equal_seeds_dilated_by_a_max_pool_and_a_rank_slice_equals_the_global_mask(h, w, size_px):
    """Reference: the same centres (drawn in the documented order) as seed pixels, dilated by a k x k max-pool,
    which crops blocks at the image edges and never wraps one into the next row."""
    from hepclust.contrastive.augment import REFERENCE_AREA, REFERENCE_SIDE, _block_mask
    b, count = 6, (3000, 6000)
    mask = _block_mask(b, h, w, count, size_px, "cpu", torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(4)
    ratio = h * w / REFERENCE_AREA
    expected = (count[0] + (count[1] - count[0]) * torch.rand(b, generator=g)) * ratio
    n = torch.floor(expected + torch.rand(b, generator=g)).long()
    n_max = int(np.ceil(max(count) * ratio))
    rows, cols = torch.randint(h, (b, n_max), generator=g), torch.randint(w, (b, n_max), generator=g)
    seeds = torch.zeros(b, 1, h, w)
    for i in range(b):
        seeds[i, 0, rows[i, :n[i]], cols[i, :n[i]]] = 1.0
    k = max(1, round(0.5 * sum(size_px) * max(min(h, w) / REFERENCE_SIDE, 0.25)))
    k = k if k % 2 else k + 1
    assert torch.equal(mask, torch.nn.functional.max_pool2d(seeds, k, stride=1, padding=k // 2) > 0)
    part = _block_mask(b, h, w, count, size_px, "cpu", torch.Generator().manual_seed(4), slice(2, 5))
    assert torch.equal(part, mask[2:5])


def test_a_fraction_of_a_block_is_drawn_as_often_as_it_says():
    """50 blocks at 768 x 256 are 0.26 of a block on a 32 x 32 image: a quarter of the images get one."""
    from hepclust.contrastive.augment import _block_mask
    mask = _block_mask(4000, 32, 32, (50, 50), (1, 3), "cpu", torch.Generator().manual_seed(0))
    hit = mask.flatten(1).any(dim=1).float().mean()
    assert abs(hit - 50 * 32 * 32 / (768 * 256)) < 0.03


def test_distortion_field_equals_bicubic_interpolation_of_the_control_grid():
    from hepclust.contrastive.augment import _bicubic_basis
    ctrl = torch.randn(3, 2, 4, 4, generator=torch.Generator().manual_seed(0))
    field = _bicubic_basis(64, "cpu") @ ctrl @ _bicubic_basis(128, "cpu").T
    ref = torch.nn.functional.interpolate(ctrl, size=(64, 128), mode="bicubic", align_corners=True)
    assert torch.allclose(field, ref, atol=1e-5)


@pytest.mark.parametrize("h, w, distort", [(64, 128, True), (37, 23, True), (32, 32, False)])
def test_sampling_grid_equals_affine_grid_plus_the_bicubic_field(h, w, distort):
    """The separable grid against torch's own affine_grid (align_corners=False) plus the control grid
    interpolated by F.interpolate (bicubic, align_corners=True): the two references it replaces."""
    from hepclust.contrastive.augment import sampling_grid
    gen = torch.Generator().manual_seed(h * w)
    theta = torch.randn(5, 2, 3, generator=gen)
    ctrl = 0.05 * torch.randn(5, 2, 4, 4, generator=gen) if distort else None
    ref = torch.nn.functional.affine_grid(theta, (5, 1, h, w), align_corners=False)
    if distort:
        field = torch.nn.functional.interpolate(ctrl, size=(h, w), mode="bicubic", align_corners=True)
        ref = ref + field.permute(0, 2, 3, 1)
    grid = sampling_grid(theta, ctrl, h, w)
    assert grid.shape == (5, h, w, 2) and grid.is_contiguous()
    assert torch.allclose(grid, ref, atol=1e-5)


@pytest.mark.parametrize("h, w, b", [(64, 128, 128), (32, 32, 256)])
def test_sampling_grid_of_part_of_a_batch_is_that_part_of_the_batch_s_grid_bit_for_bit(h, w, b):
    """The default trainings' shapes, split as data-parallel ranks split them (halves, quarters): a matrix
    product over the whole batch could round differently when the batch changes size."""
    from hepclust.contrastive.augment import sampling_grid
    gen = torch.Generator().manual_seed(b)
    theta, ctrl = 0.3 * torch.randn(b, 2, 3, generator=gen), 0.03 * torch.randn(b, 2, 4, 4, generator=gen)
    whole = sampling_grid(theta, ctrl, h, w)
    for parts in (2, 4):
        step = b // parts
        split = torch.cat([sampling_grid(theta[i:i + step], ctrl[i:i + step], h, w) for i in range(0, b, step)])
        assert torch.equal(split, whole)


def test_two_views_differ_and_same_generator_state_gives_the_same_view(track_images):
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a1, b1 = augment(track_images, AugmentConfig(), g1), augment(track_images, AugmentConfig(), g1)
    a2 = augment(track_images, AugmentConfig(), g2)
    assert not torch.equal(a1, b1)
    assert torch.equal(a1, a2)


def test_model_outputs_normalised_latent_and_probabilities_for_any_image_size():
    m = ContrastiveClusterer(n_clusters=25, latent_dim=64).eval()
    for shape in ((2, 1, 256, 768), (3, 1, 32, 32)):
        z, p = m(torch.rand(shape))
        assert z.shape == (shape[0], 64) and p.shape == (shape[0], 25)
        assert torch.allclose(z.norm(dim=1), torch.ones(shape[0]), atol=1e-5)
        assert torch.allclose(p.sum(dim=1), torch.ones(shape[0]), atol=1e-5)


def _toy_images(n: int, seed: int) -> np.ndarray:
    """Two easy classes: horizontal and vertical bars at random positions."""
    rng = np.random.default_rng(seed)
    img = np.zeros((n, 32, 32), np.float32)
    for i in range(n):
        c = rng.integers(4, 28)
        if i % 2:
            img[i, :, c - 1:c + 1] = 30
        else:
            img[i, c - 1:c + 1, :] = 30
    return img


SMALL = TrainConfig(n_clusters=2, latent_dim=16, epochs=4, batch_size=32, learning_rate=1e-3, seed=3)


def test_short_training_lowers_the_loss(tmp_path):
    _, history = train(write_set(tmp_path, _toy_images(128, 0), 50), SMALL, tmp_path / "ck.pt", torch.device("cpu"))
    first, last = history[0], history[-1]
    assert last["instance_loss"] < first["instance_loss"]
    assert len(history) == SMALL.epochs


def test_resume_continues_from_the_saved_epoch_and_ends_identical(tmp_path):
    images = write_set(tmp_path, _toy_images(96, 1), 40)
    full, full_hist = train(images, SMALL, tmp_path / "a.pt", torch.device("cpu"))
    train(images, SMALL, tmp_path / "b.pt", torch.device("cpu"), stop_after_epoch=1)  # "pre-empted"
    state = load_checkpoint(tmp_path / "b.pt")  # weights_only=True
    assert state["epoch"] == 1
    resumed, res_hist = train(images, SMALL, tmp_path / "b.pt", torch.device("cpu"))
    assert [r["epoch"] for r in res_hist] == [0.0, 1.0, 2.0, 3.0]
    assert [r["session"] for r in res_hist] == [0.0, 0.0, 1.0, 1.0]  # epochs 2, 3 came after the resume
    assert [r["session"] for r in full_hist] == [0.0] * 4
    for k, v in full.state_dict().items():
        assert torch.equal(v, resumed.state_dict()[k]), k
    assert res_hist[-1]["instance_loss"] == full_hist[-1]["instance_loss"]


def _layout_gradients(layout: torch.memory_format, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of the training loss on one fixed pair of views, for the model in ``layout``."""
    torch.manual_seed(SMALL.seed)
    model = ContrastiveClusterer(SMALL.n_clusters, SMALL.latent_dim, channels=SMALL.channels).to(memory_format=layout)
    g = torch.Generator().manual_seed(11)
    xa, xb = (augment(x, SMALL.augment, g).contiguous(memory_format=layout) for _ in range(2))
    za, pa = model(xa)
    zb, pb = model(xb)
    lc, reg = cluster_loss(pa, pb, SMALL.cluster_temperature)
    (nt_xent(za, zb, SMALL.instance_temperature) + lc + reg).backward()
    return {n: p.grad for n, p in model.named_parameters()}


def test_channels_last_changes_the_layout_not_the_arithmetic():
    """The faster layout computes the same gradients up to float rounding (oneDNN sums in another order).

    Compared per step, not after several Adam steps: Adam moves a weight by about lr whatever the size of its
    gradient, so a gradient that is zero up to rounding (measured: |g| ~ 1e-7 against 0.3 in the same tensor)
    goes +lr in one layout and -lr in the other, and from the next step on the two trainings are different
    (equally valid) trajectories; how far apart they end depends on the random stream, not on the layout."""
    x = torch.from_numpy(_toy_images(32, 4))[:, None]
    cl = _layout_gradients(torch.channels_last, x)
    plain = _layout_gradients(torch.contiguous_format, x)
    for k, g in plain.items():
        scale = float(g.abs().max())
        assert scale > 0, k
        assert float((cl[k] - g).abs().max()) <= 1e-4 * scale, k


def test_channels_last_training_returns_the_default_layout_with_the_same_losses(tmp_path):
    """Saved models must be in the default layout; the first epoch's loss agrees with NCHW training, and no
    weight is further from NCHW's than Adam's 2 lr per step (a rounding-level gradient may go either way)."""
    images = write_set(tmp_path, _toy_images(64, 4), 64)
    one = dataclasses.replace(SMALL, epochs=1)
    cl, cl_hist = train(images, one, tmp_path / "cl.pt", torch.device("cpu"))
    plain, plain_hist = train(images, dataclasses.replace(one, channels_last=False), tmp_path / "nchw.pt",
                              torch.device("cpu"))
    assert one.channels_last
    assert cl_hist[0]["instance_loss"] == pytest.approx(plain_hist[0]["instance_loss"], rel=1e-4)
    steps = 64 // one.batch_size
    for k, v in cl.state_dict().items():
        assert v.is_contiguous(), k
        assert float((v.float() - plain.state_dict()[k].float()).abs().max()) <= 2 * one.learning_rate * steps, k


def test_checkpoint_of_another_config_is_not_resumed(tmp_path):
    images = write_set(tmp_path, _toy_images(64, 2), 64)
    train(images, SMALL, tmp_path / "c.pt", torch.device("cpu"), stop_after_epoch=0)
    other = TrainConfig(**{**SMALL.__dict__, "learning_rate": 5e-4})
    _, hist = train(images, other, tmp_path / "c.pt", torch.device("cpu"))
    assert [r["epoch"] for r in hist] == [0.0, 1.0, 2.0, 3.0]


def test_a_checkpoint_written_before_the_padding_field_existed_resumes(tmp_path):
    """Its config has no ``augment.padding``: read as the default (zeros), what it was trained with."""
    images = write_set(tmp_path, _toy_images(64, 2), 64)
    train(images, SMALL, tmp_path / "c.pt", torch.device("cpu"), stop_after_epoch=0)
    state = load_checkpoint(tmp_path / "c.pt")
    del state["config"]["augment"]["padding"]
    torch.save(state, tmp_path / "c.pt")
    _, hist = train(images, SMALL, tmp_path / "c.pt", torch.device("cpu"))
    assert [r["epoch"] for r in hist] == [0.0, 1.0, 2.0, 3.0] and [r["session"] for r in hist] == [0, 1, 1, 1]
    # and one made with reflection padding is another config: not resumed
    reflected = dataclasses.replace(SMALL, augment=dataclasses.replace(SMALL.augment, padding="reflection"))
    assert TrainConfig.from_dict(reflected.as_dict()) == reflected != SMALL
    _, hist = train(images, reflected, tmp_path / "c.pt", torch.device("cpu"))
    assert [r["session"] for r in hist] == [0, 0, 0, 0]


def test_embed_returns_features_latent_probabilities_and_views_per_image_in_order(tmp_path):
    m = ContrastiveClusterer(3, 8).eval()
    images = _toy_images(10, 3)
    path = write_set(tmp_path, images, 3)
    out = embed(m, path, torch.device("cpu"), batch_size=4, workers=1, views=2, augment_cfg=AugmentConfig(), seed=3)
    assert out["latent"].shape == (10, 8) and out["probabilities"].shape == (10, 3)
    assert out["features"].shape == (10, m.encoder.out_dim) and out["view_features"].shape == (2, 10, m.encoder.out_dim)
    with torch.no_grad():  # the same as the model on the images held in memory, in the same order
        h_ref = m.encoder(log_charge(torch.from_numpy(images)[:, None]))
        z_ref, _ = m(log_charge(torch.from_numpy(images)[:, None]))
    assert torch.allclose(torch.from_numpy(out["latent"]), z_ref, atol=1e-5)
    assert torch.allclose(torch.from_numpy(out["features"]), h_ref, atol=1e-5)
    # augmented views differ from the image and from each other, and are reproducible from the seed
    assert not np.allclose(out["view_features"][0], out["features"])
    assert not np.allclose(out["view_features"][0], out["view_features"][1])
    again = embed(m, path, torch.device("cpu"), batch_size=4, views=2, augment_cfg=AugmentConfig(), seed=3)
    np.testing.assert_array_equal(again["view_features"], out["view_features"])
