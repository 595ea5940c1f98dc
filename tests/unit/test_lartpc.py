"""The toy LArTPC simulator: class fractions, physical totals, determinism, detector effects."""

from __future__ import annotations

import numpy as np
import pytest

from hepclust.errors import ConfigError, InputError
from hepclust.lartpc import simulate as sim
from hepclust.images import read_images, write_images

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
