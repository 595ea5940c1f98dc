"""Our generalised-kT against FastJet (the reference), jet by jet."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest

from hepclust.errors import ConfigError
from hepclust.jets.benchmark import synthetic_events
from hepclust.jets.cluster import cluster
from hepclust.jets.generate import generate
from hepclust.jets.kinematics import rap_phi_pt
from hepclust.jets.reference import fastjet_exclusive, fastjet_inclusive
from hepclust.jets.validate import compare

ALGORITHMS = ["antikt", "kt", "cambridge"]


@pytest.fixture(scope="module")
def pythia_events():
    """Real Pythia 8 events: QCD dijets with MPI, hadronisation, and added soft noise."""
    ev = generate("qcd", ["HardQCD:all = on", "PhaseSpace:pTHatMin = 150."], 12, seed=4242, ecm=13000.0,
                  noise_per_event=60)
    return (ev.px, ev.py, ev.pz, ev.e, ev.offsets)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("r", [0.4, 1.0])
@pytest.mark.parametrize("strategy", ["plain", "tiled", "best"])
def test_inclusive_jets_equal_fastjet_on_pythia_events(pythia_events, algorithm, r, strategy):
    ours = cluster(*pythia_events, algorithm, r, ptmin=5.0, strategy=strategy)
    ref = fastjet_inclusive(*pythia_events, algorithm, r, ptmin=5.0)
    c = compare(ours, ref)
    assert c.n_events_differ == 0, c
    assert c.n_jets > 2 * (pythia_events[-1].size - 1)  # hard events: several jets each


@pytest.mark.parametrize("n", [2, 50, 400, 2500])
def test_genkt_with_fractional_exponent_equals_fastjet(n):
    ev = synthetic_events(n, 4, seed=n)
    c = compare(cluster(*ev, "genkt", 0.7, p=0.5), fastjet_inclusive(*ev, "genkt", 0.7, p=0.5))
    assert c.n_events_differ == 0


# C/A's beam distances are all exactly R^2, so exclusive jets are only defined (free of tie order) when R is
# large enough that every pairwise merge comes before any beam step: the usual choice for exclusive C/A.
@pytest.mark.parametrize("algorithm, r", [("kt", 0.6), ("cambridge", 10.0)])
@pytest.mark.parametrize("n_jets", [1, 2, 4])
def test_exclusive_n_jets_equal_fastjet(pythia_events, algorithm, r, n_jets):
    ours = cluster(*pythia_events, algorithm, r, n_jets=n_jets)
    assert np.all(np.diff(ours.offsets) == n_jets)
    assert compare(ours, fastjet_exclusive(*pythia_events, algorithm, r, n_jets=n_jets)).n_events_differ == 0


@pytest.mark.parametrize("dcut", [25.0, 400.0, 10000.0])
def test_exclusive_dcut_equals_fastjet(pythia_events, dcut):
    ours = cluster(*pythia_events, "kt", 0.6, dcut=dcut)
    assert compare(ours, fastjet_exclusive(*pythia_events, "kt", 0.6, dcut=dcut)).n_events_differ == 0


def _one_event(p4):
    p4 = np.asarray(p4, dtype=float).reshape(-1, 4)
    return (*p4.T, np.array([0, p4.shape[0]]))


def _massless(pt, y, phi):
    return [pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(y), pt * math.cosh(y)]


def test_empty_event_gives_no_jets_and_neighbouring_events_are_unaffected():
    a = _massless(50, 0.1, 1.0)
    px, py, pz, e = (np.array([a[i], a[i]]) for i in range(4))
    offsets = np.array([0, 1, 1, 2])  # events: one particle, empty, one particle
    jets = cluster(px, py, pz, e, offsets, "antikt", 0.4)
    assert np.diff(jets.offsets).tolist() == [1, 0, 1]


def test_single_particle_is_its_own_jet():
    jets = cluster(*_one_event(_massless(30, -1.2, 4.0)), "antikt", 0.4)
    y, phi, pt = rap_phi_pt(jets.px, jets.py, jets.pz, jets.e)
    assert (pt[0], y[0], phi[0]) == pytest.approx((30, -1.2, 4.0), rel=1e-12)


def test_identical_particles_merge_into_one_jet_like_fastjet():
    p = _massless(40, 0.5, 2.0)
    ev = _one_event([p, p, p, _massless(10, 0.55, 2.05)])
    for algorithm in ALGORITHMS:
        ours = cluster(*ev, algorithm, 0.4)
        assert compare(ours, fastjet_inclusive(*ev, algorithm, 0.4)).n_events_differ == 0
        assert ours.px.size == 1 and ours.n_constituents[0] == 4


def test_particles_either_side_of_phi_zero_cluster_together():
    ev = _one_event([_massless(20, 0.0, 0.05), _massless(20, 0.0, 2 * math.pi - 0.05)])
    for algorithm in ALGORITHMS:
        jets = cluster(*ev, algorithm, 0.4)
        assert jets.px.size == 1
        _, phi, _ = rap_phi_pt(jets.px, jets.py, jets.pz, jets.e)
        assert 0.0 <= phi[0] < 2 * math.pi
        assert compare(jets, fastjet_inclusive(*ev, algorithm, 0.4)).n_events_differ == 0


def test_massive_and_massless_particles_and_beam_particle_match_fastjet():
    p4 = [_massless(25, 1.0, 1.0), [10.0, 2.0, 30.0, 40.0], [0.0, 0.0, 100.0, 100.0], [3.0, -4.0, -2.0, 9.0]]
    ev = _one_event(p4)
    for algorithm in ALGORITHMS:
        assert compare(cluster(*ev, algorithm, 1.0), fastjet_inclusive(*ev, algorithm, 1.0)).n_events_differ == 0


def test_jets_are_e_scheme_sums_of_their_constituents(pythia_events):
    px, py, pz, e, offsets = pythia_events
    jets = cluster(*pythia_events, "antikt", 0.4, ptmin=0.0)
    for ev in range(offsets.size - 1):
        s = slice(offsets[ev], offsets[ev + 1])
        lab = jets.particle_jet[s]
        assert np.all(lab >= 0)  # with pT_min = 0 every particle is in a jet
        for j in range(jets.offsets[ev + 1] - jets.offsets[ev]):
            k = jets.offsets[ev] + j
            sel = lab == j
            expected = [px[s][sel].sum(), py[s][sel].sum(), pz[s][sel].sum(), e[s][sel].sum()]
            np.testing.assert_allclose([jets.px[k], jets.py[k], jets.pz[k], jets.e[k]], expected, rtol=1e-9,
                                       atol=1e-9)
            assert jets.n_constituents[k] == sel.sum()
    # total four-momentum is conserved
    np.testing.assert_allclose(jets.e.sum(), e.sum(), rtol=1e-12)


def test_jets_are_sorted_by_decreasing_pt(pythia_events):
    jets = cluster(*pythia_events, "kt", 0.4, ptmin=1.0)
    pt = np.hypot(jets.px, jets.py)
    for ev in range(jets.offsets.size - 1):
        s = pt[jets.offsets[ev]:jets.offsets[ev + 1]]
        assert np.all(np.diff(s) <= 0)


def test_antikt_jets_are_stable_against_soft_noise():
    """The seed's point: adding soft noise barely moves hard anti-kT jets (kT jets move more)."""
    clean = generate("qcd", ["HardQCD:all = on", "PhaseSpace:pTHatMin = 300."], 8, seed=99, ecm=13000.0)
    noisy = generate("qcd", ["HardQCD:all = on", "PhaseSpace:pTHatMin = 300."], 8, seed=99, ecm=13000.0,
                     noise_per_event=300, noise_mean_pt=1.0)
    shift = {}
    for alg in ("antikt", "kt"):
        a = cluster(clean.px, clean.py, clean.pz, clean.e, clean.offsets, alg, 0.4, ptmin=100.0)
        b = cluster(noisy.px, noisy.py, noisy.pz, noisy.e, noisy.offsets, alg, 0.4, ptmin=100.0)
        lead_a = np.hypot(a.px, a.py)[a.offsets[:-1]]
        lead_b = np.hypot(b.px, b.py)[b.offsets[:-1]]
        shift[alg] = np.median(np.abs(lead_b - lead_a) / lead_a)
    assert shift["antikt"] < 0.05
    assert shift["antikt"] <= shift["kt"]


def test_bad_arguments_name_the_key():
    ev = _one_event(_massless(10, 0, 0))
    with pytest.raises(ConfigError, match="jets.algorithms"):
        cluster(*ev, "siscone", 0.4)
    with pytest.raises(ConfigError, match="jets.radii"):
        cluster(*ev, "antikt", 0.0)
    with pytest.raises(ConfigError, match="genkt"):
        cluster(*ev, "genkt", 0.4)


def test_awkward_reference_round_trip_keeps_event_boundaries(pythia_events):
    ref = fastjet_inclusive(*pythia_events, "antikt", 0.4, ptmin=5.0)
    assert len(ref) == pythia_events[-1].size - 1
    assert ak.all(ak.num(ref) > 0)


def test_event_file_with_inconsistent_offsets_is_a_clear_error(tmp_path):
    from hepclust.errors import InputError
    from hepclust.jets.events import Events, read_events, write_events

    ev = Events(*(np.ones(5) for _ in range(4)), np.zeros(5, np.int64), np.array([0, 2, 7]))  # 7 > 5 particles
    path = tmp_path / "events.h5"
    write_events(str(path), ev, {})
    with pytest.raises(InputError, match="events.h5: offsets are not a valid CSR index for 5 particles"):
        read_events(str(path))
