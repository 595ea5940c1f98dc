"""The toy LArTPC simulator (class fractions, physical totals, determinism, detector effects), its shards and
manifests, and streaming them: every image once per epoch, seeded order, clear errors for bad shards."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch

from hepclust.errors import ConfigError, InputError
from hepclust.lartpc import simulate as sim
from hepclust.contrastive.data import GlobalBatchSampler, ShardedImages, loader
from hepclust.images import read_image_set, read_images, read_manifest, write_images
from hepclust.lartpc.shards import shard_range
from hepclust.lartpc.study import manifest_to_file, simulate_shard_to_file

GEO = sim.Geometry(128, 64, 0.8)
QUIET = sim.Detector(noise_mev=0.0, threshold_mev=0.0, dead_fraction=0.0, delta_rate_per_cm=0.0)
REAL = sim.Detector(noise_mev=0.05, threshold_mev=0.15, dead_fraction=0.1, delta_rate_per_cm=0.05)


def test_class_counts_follow_the_configured_fractions_exactly():
    counts = sim.class_counts(1000, {"through_muon": 0.5, "em_shower": 0.3, "michel": 0.2})
    assert dict(zip(sim.CLASSES, counts.tolist())) == {"through_muon": 500, "stopping_muon": 0, "michel": 200,
                                                       "em_shower": 300, "hadronic": 0, "multi_muon": 0}
    assert sim.class_counts(7, {c: 1 for c in sim.CLASSES}).sum() == 7


def test_unknown_class_or_bad_fractions_name_the_key():
    with pytest.raises(ConfigError, match="lartpc.fractions"):
        sim.class_counts(10, {"neutrino": 1.0})
    with pytest.raises(ConfigError, match="lartpc.fractions"):
        sim.class_counts(10, {"michel": 0.0})


@pytest.fixture(scope="module")
def sample():
    return sim.simulate(300, {c: 1 for c in sim.CLASSES}, GEO, REAL, seed=11)


def test_every_class_is_produced_with_its_fraction(sample):
    _, labels = sample
    assert np.bincount(labels, minlength=6).tolist() == [50] * 6


def test_same_seed_same_images(sample):
    again = sim.simulate(300, {c: 1 for c in sim.CLASSES}, GEO, REAL, seed=11)
    assert np.array_equal(sample[0], again[0]) and np.array_equal(sample[1], again[1])


def test_through_going_muon_deposits_mip_energy_per_projected_length():
    """Without noise: total energy / 3-D path length ~ 2.1 MeV/cm (Landau mean shifted by the Moyal model)."""
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(40):
        d = sim._cosmic_direction(rng)
        point = np.array([50.0, 25.0, 50.0])
        dep = sim.through_muon(rng, GEO, 0.2, 0.0, direction=d, point=point)
        length = sim._box_exit(point, d, GEO) + sim._box_exit(point, -d, GEO) + 0.4
        ratios.append(dep.e.sum() / length)
    assert np.median(ratios) == pytest.approx(sim.MIP_DEDX, rel=0.15)


def test_stopping_muon_has_a_bragg_rise_at_its_end():
    rng = np.random.default_rng(1)
    dep, _ = sim._track(rng, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0), 60.0, 0.2, sim._bragg, landau=False)
    assert dep.e[-1] / 0.2 > 3 * sim.MIP_DEDX  # last 2 mm: several times minimum ionising
    assert dep.e[:50].mean() / 0.2 == pytest.approx(sim.MIP_DEDX, rel=0.01)  # 50-60 cm from the end: a MIP
    # a proton of the same residual range ionises far more (heavier: slower at equal range)
    assert sim._bragg(5.0, sim.BRAGG_A_PROTON) > 2 * sim._bragg(5.0)


def test_michel_spectrum_has_the_x2_3_minus_2x_shape():
    rng = np.random.default_rng(2)
    x = np.array([sim._michel_fraction(rng) for _ in range(20000)])
    # mean of x^2(3-2x) on [0,1] normalised (integral 1/2): E[x] = 0.7
    assert x.mean() == pytest.approx(0.7, abs=0.01)
    assert x.max() <= 1.0 and (x * sim.MICHEL_ENDPOINT).max() <= 52.8


def test_em_shower_energy_is_contained_and_deposited(sample):
    rng = np.random.default_rng(3)
    dep = sim.em_shower(rng, GEO, 500.0, 500.0)
    assert dep.e.sum() == pytest.approx(500.0, rel=1e-9)


def test_showers_are_wider_than_muon_tracks(sample):
    images, labels = sample
    occupancy = (images > 0).sum(axis=(1, 2))
    shower = np.median(occupancy[labels == sim.CLASSES.index("em_shower")])
    muon = np.median(occupancy[labels == sim.CLASSES.index("through_muon")])
    assert shower > 2 * muon


def test_threshold_zero_suppresses_and_charge_is_in_kilo_electrons():
    rng = np.random.default_rng(4)
    img = np.zeros((8, 8))
    img[2, 2] = 1.0  # 1 MeV
    img[3, 3] = 0.1  # below threshold
    out = sim.apply_detector(rng, img, sim.Detector(0.0, 0.15, 0.0, 0.0))
    assert out[2, 2] == pytest.approx(sim.KE_PER_MEV, rel=1e-6) and out[3, 3] == 0
    assert sim.KE_PER_MEV == pytest.approx(29.66, rel=1e-3)  # 0.7 / 23.6 eV per MeV, in ke-


def test_image_file_round_trip_and_corrupt_file_error(tmp_path, sample):
    images, labels = sample
    path = tmp_path / "img.h5"
    write_images(str(path), images[:5], labels[:5], list(sim.CLASSES), {"seed": 11}, "ke-")
    back, lab, names = read_images(str(path))
    assert np.array_equal(back, images[:5]) and names == list(sim.CLASSES)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(InputError, match="not a readable HDF5"):
        read_images(str(path))


# ---- shards: the same events whatever the shard size ---------------------------------------------------------

SMALL_GEO = {"width": 32, "height": 16, "pitch_cm": 1.6}
DET = {"noise_mev": 0.05, "threshold_mev": 0.15, "dead_fraction": 0.1, "delta_rate_per_cm": 0.05}
FRACTIONS = {c: 1 for c in sim.CLASSES}


def _simulate_split(folder, n, shard_size, geometry=SMALL_GEO, split="train"):
    k = 0
    paths = []
    while k * shard_size < n:
        out = folder / f"shards/{split}_{k}.h5"
        simulate_shard_to_file(str(out), split, k, shard_size, n, FRACTIONS, geometry, DET, seed=4)
        paths.append(str(out))
        k += 1
    manifest = folder / f"{split}_manifest.json"
    manifest_to_file(str(manifest), paths, {"split": split})
    return manifest


def test_the_events_do_not_depend_on_the_shard_size(tmp_path):
    a = _simulate_split(tmp_path / "a", 20, 7)
    b = _simulate_split(tmp_path / "b", 20, 10)
    c = _simulate_split(tmp_path / "c", 20, 20)
    ia, la, _ = read_image_set(a)
    ib, lb, _ = read_image_set(b)
    ic, lc, _ = read_image_set(c)
    assert len(read_manifest(a).shards) == 3 and len(read_manifest(b).shards) == 2
    assert np.array_equal(ia, ib) and np.array_equal(ia, ic) and np.array_equal(la, lb) and np.array_equal(la, lc)
    # and each event is what its own stream gives (seed, split, global index), independent of any file
    img = sim.simulate_event(sim.event_rng(4, 0, 13), int(la[13]), sim.Geometry(32, 16, 1.6), sim.Detector(**DET))
    assert np.array_equal(ia[13], img)


def test_the_two_splits_never_share_events(tmp_path):
    train, _ = sim.simulate(12, FRACTIONS, sim.Geometry(32, 16, 1.6), sim.Detector(**DET), 4, split_id=0)
    test, _ = sim.simulate(12, FRACTIONS, sim.Geometry(32, 16, 1.6), sim.Detector(**DET), 4, split_id=1)
    assert not any(np.array_equal(x, y) for x in train for y in test)


def test_manifest_lists_shards_counts_class_fractions_and_geometry(tmp_path):
    m = _simulate_split(tmp_path, 20, 7)
    raw = json.loads(m.read_text())
    assert [s["count"] for s in raw["shards"]] == [7, 7, 6] and [s["start"] for s in raw["shards"]] == [0, 7, 14]
    assert raw["n_images"] == 20 and (raw["height"], raw["width"]) == (16, 32)
    assert sum(raw["class_counts"]) == 20 and raw["class_counts"] == sim.class_counts(20, FRACTIONS).tolist()
    assert raw["params"] == {"split": "train"}


def test_shard_range_covers_the_split_and_rejects_a_shard_that_does_not_exist():
    assert [shard_range(20, 7, k) for k in range(3)] == [(0, 7), (7, 14), (14, 20)]
    with pytest.raises(ValueError, match="shard 3 does not exist"):
        shard_range(20, 7, 3)


def test_missing_truncated_or_other_geometry_shard_is_an_error_naming_it(tmp_path):
    m = _simulate_split(tmp_path, 20, 7)
    shard = tmp_path / "shards/train_1.h5"
    data = shard.read_bytes()
    shard.unlink()
    with pytest.raises(InputError, match=r"train_1\.h5: shard listed in .* does not exist"):
        ShardedImages(m)
    shard.write_bytes(data[:2000])
    with pytest.raises(InputError, match=r"train_1\.h5: shard is 2000 bytes.*truncated"):
        ShardedImages(m)
    shard.write_bytes(data[:2000] + b"\0" * (len(data) - 2000))  # same size, corrupt content
    with pytest.raises(InputError, match=r"train_1\.h5: (not a readable HDF5|cannot read image \d \(corrupt)"):
        ShardedImages(m)[10]
    # a shard re-simulated at another geometry, manifest patched to its size: the shape check names it
    simulate_shard_to_file(str(shard), "train", 1, 7, 20, FRACTIONS, {**SMALL_GEO, "width": 48}, DET, seed=4)
    raw = json.loads(m.read_text())
    raw["shards"][1]["size_bytes"] = shard.stat().st_size
    m.write_text(json.dumps(raw))
    with pytest.raises(InputError, match=r"train_1\.h5: images have shape \(7, 16, 48\).*expects \(7, 16, 32\)"):
        ShardedImages(m)


def test_a_manifest_rejects_shards_of_different_geometry(tmp_path):
    a = tmp_path / "shards/train_0.h5"
    b = tmp_path / "shards/train_1.h5"
    simulate_shard_to_file(str(a), "train", 0, 5, 10, FRACTIONS, SMALL_GEO, DET, seed=4)
    simulate_shard_to_file(str(b), "train", 1, 5, 10, FRACTIONS, {**SMALL_GEO, "height": 24}, DET, seed=4)
    with pytest.raises(InputError, match=r"train_1\.h5: images \(24, 32\)"):
        manifest_to_file(str(tmp_path / "m.json"), [str(a), str(b)], {})


# ---- streaming: every image once per epoch, seeded order -----------------------------------------------------
def _epoch_indices(ds, global_batch, world, seed, epoch, workers):
    seen = []
    for rank in range(world):
        sampler = GlobalBatchSampler(len(ds), global_batch, rank, world, seed)
        sampler.set_epoch(epoch)
        for images, idx in loader(ds, sampler, workers, pin_memory=False):
            assert images.shape[1:] == (1, 16, 32)
            seen.append(idx)
    return torch.cat(seen).tolist()


def test_every_image_is_seen_exactly_once_per_epoch_across_ranks_and_workers(tmp_path):
    m = _simulate_split(tmp_path, 24, 7)
    ds = ShardedImages(m)
    images, _, _ = read_image_set(m)
    for world, workers in ((1, 0), (2, 2), (3, 1)):
        seen = _epoch_indices(ds, 6, world, seed=1, epoch=0, workers=workers)
        assert sorted(seen) == list(range(24)), (world, workers)
    img, idx = ds[17]
    assert idx == 17 and np.array_equal(img[0].numpy(), images[17])


def test_a_set_that_fits_the_cache_is_decoded_once_per_shard_and_gives_the_same_images(tmp_path, monkeypatch):
    m = _simulate_split(tmp_path, 24, 7)  # shards of 7, 7, 7, 3 images of 16 x 32
    images, _, _ = read_image_set(m)
    set_bytes = 24 * 16 * 32 * 4
    assert not ShardedImages(m, cache_bytes=set_bytes - 1).cached  # all or nothing: a larger set streams
    ds = ShardedImages(m, cache_bytes=set_bytes)
    reads = []
    real = ds._images
    monkeypatch.setattr(ds, "_images", lambda k: reads.append(k) or real(k))
    for i in (10, 11, 12, 0, 1, 23):
        img, idx = ds[i]
        assert idx == i and np.array_equal(img[0].numpy(), images[i])
    assert reads == [1, 0, 3]  # each shard read (whole) once, on first use
    img[0, 0, 0] = -1.0  # a returned image is a copy, not the cache
    assert np.array_equal(ds[23][0][0].numpy(), images[23])
    # an epoch through the loader, in-process and in 2 forked workers (each its own cache): every image, unchanged
    for workers in (0, 2):
        sampler = GlobalBatchSampler(24, 6, 0, 1, seed=1)
        sampler.set_epoch(0)
        seen = []
        for batch, idx in loader(ShardedImages(m, cache_bytes=set_bytes), sampler, workers, pin_memory=False):
            assert np.array_equal(batch[:, 0].numpy(), images[idx.numpy()])
            seen += idx.tolist()
        assert sorted(seen) == list(range(24))


def test_a_cached_shard_with_a_non_finite_image_is_an_error_naming_it(tmp_path):
    m = _simulate_split(tmp_path, 14, 7)
    with h5py.File(tmp_path / "shards/train_1.h5", "r+") as f:
        f["images"][4, 2, 3] = np.nan
    size = (tmp_path / "shards/train_1.h5").stat().st_size
    raw = json.loads(m.read_text())
    raw["shards"][1]["size_bytes"] = size
    m.write_text(json.dumps(raw))
    ds = ShardedImages(m, cache_bytes=10**6)
    assert ds[3][1] == 3  # shard 0 is fine
    with pytest.raises(InputError, match=r"train_1\.h5: image 4 contains NaN"):
        ds[8]


def test_a_whole_shard_read_with_a_non_finite_image_is_an_error_naming_it(tmp_path):
    _simulate_split(tmp_path, 14, 7)
    with h5py.File(tmp_path / "shards/train_1.h5", "r+") as f:
        f["images"][4, 2, 3] = np.inf
    read_images(str(tmp_path / "shards/train_0.h5"))  # the other shard is fine
    with pytest.raises(InputError, match=r"train_1\.h5: image 4 contains NaN or infinity"):
        read_images(str(tmp_path / "shards/train_1.h5"))


def test_the_epoch_order_is_seeded_and_differs_between_epochs_but_not_between_world_sizes(tmp_path):
    ds = ShardedImages(_simulate_split(tmp_path, 24, 7))
    s = GlobalBatchSampler(24, 6, 0, 1, seed=1)
    s.set_epoch(0)
    e0 = s.permutation().tolist()
    s.set_epoch(1)
    assert s.permutation().tolist() != e0
    s.set_epoch(0)
    assert s.permutation().tolist() == e0
    assert GlobalBatchSampler(24, 6, 0, 1, seed=2).permutation().tolist() != e0
    # 2 ranks: rank 0 then rank 1 of each global batch is the 1-rank batch
    one = [b for b in GlobalBatchSampler(24, 6, 0, 1, seed=1)]
    r0 = list(GlobalBatchSampler(24, 6, 0, 2, seed=1))
    r1 = list(GlobalBatchSampler(24, 6, 1, 2, seed=1))
    assert one == [a + b for a, b in zip(r0, r1)]
    assert len(ds) == 24
