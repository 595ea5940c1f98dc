"""Our generalised-kT against FastJet (the reference), jet by jet, for every strategy forced."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest

from hepclust.errors import ConfigError, InputError
from hepclust.jets.benchmark import synthetic_events
from hepclust.jets.cluster import cluster
from hepclust.jets.definition import JetArgumentError, JetDefinition
from hepclust.jets.events import Events, concat, read_events, read_jets, write_events, write_jets
from hepclust.jets.generate import generate
from hepclust.jets.kinematics import rap_phi_pt
from hepclust.jets.reference import CppTimer, build_harness, fastjet_exclusive, fastjet_inclusive, find_compiler
from hepclust.jets.study import CLUSTER_KEYS, config_keys
from hepclust.jets.validate import compare

ALGORITHMS = ["antikt", "kt", "cambridge"]
STRATEGIES = ["plain", "tiled", "lazy9", "lazy25", "best"]


@pytest.fixture(scope="module")
def pythia_events() -> Events:
    """Real Pythia 8 events: QCD dijets with MPI, hadronisation, and added soft noise."""
    return generate("qcd", ["HardQCD:all = on", "PhaseSpace:pTHatMin = 150."], 12, seed=4242, ecm=13000.0,
                    noise_per_event=60)


def _fastjet(ev: Events, definition: JetDefinition, ptmin: float = 0.0):
    return fastjet_inclusive(*ev.four_momenta(), ev.offsets, definition, ptmin)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("r", [0.4, 1.0])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_inclusive_jets_equal_fastjet_on_pythia_events(pythia_events, algorithm, r, strategy):
    definition = JetDefinition(algorithm, r, strategy=strategy)
    c = compare(cluster(pythia_events, definition, ptmin=5.0), _fastjet(pythia_events, definition, 5.0))
    assert c.n_events_differ == 0, c
    assert c.n_jets > 2 * pythia_events.n_events  # hard events: several jets each


# Lazy tiling on crowded events: 5000 particles in |y| < 4 make lazy25 narrow its tiles below R/2
# (the dense-event path), and every strategy must still give FastJet's jets.
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("r", [0.4, 1.0])
@pytest.mark.parametrize("strategy", ["tiled", "lazy9", "lazy25", "best"])
def test_every_tiled_strategy_equals_fastjet_on_large_events(algorithm, r, strategy):
    ev = synthetic_events(5000, 1, seed=17)
    definition = JetDefinition(algorithm, r, strategy=strategy)
    assert compare(cluster(ev, definition), _fastjet(ev, definition)).n_events_differ == 0


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("n", [1, 2, 5, 30, 150])
def test_every_strategy_equals_fastjet_on_small_events(strategy, n):
    ev = synthetic_events(n, 6, seed=n)
    for algorithm in ALGORITHMS:
        definition = JetDefinition(algorithm, 0.6, strategy=strategy)
        assert compare(cluster(ev, definition), _fastjet(ev, definition)).n_events_differ == 0, algorithm


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("n", [2, 50, 400, 2500])
def test_genkt_with_fractional_exponent_equals_fastjet(n, strategy):
    ev = synthetic_events(n, 4, seed=n)
    definition = JetDefinition("genkt", 0.7, p=0.5, strategy=strategy)
    assert compare(cluster(ev, definition), _fastjet(ev, definition)).n_events_differ == 0


def test_jets_do_not_depend_on_the_thread_count(pythia_events):
    definition = JetDefinition("antikt", 0.4)
    one = cluster(pythia_events, definition, threads=1)
    # more threads than events: one block per event
    for threads in (2, 3, pythia_events.n_events + 5):
        other = cluster(pythia_events, definition, threads=threads)
        for name in ("px", "py", "pz", "e", "n_constituents", "offsets", "particle_jet"):
            np.testing.assert_array_equal(getattr(one, name), getattr(other, name))


# C/A's beam distances are all exactly R^2, so exclusive jets are only defined (free of tie order) when R is
# large enough that every pairwise merge comes before any beam step: the usual choice for exclusive C/A.
@pytest.mark.parametrize("algorithm, r", [("kt", 0.6), ("cambridge", 10.0)])
@pytest.mark.parametrize("n_jets", [1, 2, 4])
def test_exclusive_n_jets_equal_fastjet(pythia_events, algorithm, r, n_jets):
    definition = JetDefinition(algorithm, r)
    ours = cluster(pythia_events, definition, n_jets=n_jets)
    assert np.all(np.diff(ours.offsets) == n_jets)
    ref = fastjet_exclusive(*pythia_events.four_momenta(), pythia_events.offsets, definition, n_jets=n_jets)
    assert compare(ours, ref).n_events_differ == 0


@pytest.mark.parametrize("dcut", [25.0, 400.0, 10000.0])
def test_exclusive_dcut_equals_fastjet(pythia_events, dcut):
    definition = JetDefinition("kt", 0.6)
    ours = cluster(pythia_events, definition, dcut=dcut)
    ref = fastjet_exclusive(*pythia_events.four_momenta(), pythia_events.offsets, definition, dcut=dcut)
    assert compare(ours, ref).n_events_differ == 0


def _one_event(p4) -> Events:
    p4 = np.asarray(p4, dtype=float).reshape(-1, 4)
    return Events.from_arrays(*p4.T, np.array([0, p4.shape[0]]))


def _massless(pt, y, phi):
    return [pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(y), pt * math.cosh(y)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_empty_event_gives_no_jets_and_neighbouring_events_are_unaffected(strategy):
    a = _massless(50, 0.1, 1.0)
    ev = Events.from_arrays(*(np.array([a[i], a[i]]) for i in range(4)), np.array([0, 1, 1, 2]))
    jets = cluster(ev, JetDefinition("antikt", 0.4, strategy=strategy))
    assert np.diff(jets.offsets).tolist() == [1, 0, 1]


def test_single_particle_is_its_own_jet():
    jets = cluster(_one_event(_massless(30, -1.2, 4.0)), JetDefinition("antikt", 0.4))
    y, phi, pt = rap_phi_pt(jets.px, jets.py, jets.pz, jets.e)
    assert (pt[0], y[0], phi[0]) == pytest.approx((30, -1.2, 4.0), rel=1e-12)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("r", [0.4, 1.0])
def test_identical_particles_merge_into_one_jet_like_fastjet(strategy, r):
    p = _massless(40, 0.5, 2.0)
    ev = _one_event([p, p, p, _massless(10, 0.55, 2.05)])
    for algorithm in ALGORITHMS:
        definition = JetDefinition(algorithm, r, strategy=strategy)
        ours = cluster(ev, definition)
        assert compare(ours, _fastjet(ev, definition)).n_events_differ == 0
        assert ours.px.size == 1 and ours.n_constituents[0] == 4


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("r", [0.4, 1.0])
def test_particles_either_side_of_phi_zero_cluster_together(strategy, r):
    ev = _one_event([_massless(20, 0.0, 0.05), _massless(20, 0.0, 2 * math.pi - 0.05)])
    for algorithm in ALGORITHMS:
        definition = JetDefinition(algorithm, r, strategy=strategy)
        jets = cluster(ev, definition)
        assert jets.px.size == 1
        _, phi, _ = rap_phi_pt(jets.px, jets.py, jets.pz, jets.e)
        assert 0.0 <= phi[0] < 2 * math.pi
        assert compare(jets, _fastjet(ev, definition)).n_events_differ == 0


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("r", [0.4, 1.0])
def test_massive_massless_beam_and_very_forward_particles_match_fastjet(strategy, r):
    """A beam particle (y ~ 1e5) and particles beyond |y| = 10 sit in the edge tiles of the tiled strategies."""
    p4 = [_massless(25, 1.0, 1.0), [10.0, 2.0, 30.0, 40.0], [0.0, 0.0, 100.0, 100.0], [3.0, -4.0, -2.0, 9.0],
          _massless(0.01, 11.5, 3.0), _massless(0.02, 11.8, 3.1), _massless(0.015, -12.0, 0.1),
          _massless(6.0, 9.9, 3.0)]
    ev = _one_event(p4)
    for algorithm in ALGORITHMS:
        definition = JetDefinition(algorithm, r, strategy=strategy)
        assert compare(cluster(ev, definition), _fastjet(ev, definition)).n_events_differ == 0, algorithm


def test_jets_are_e_scheme_sums_of_their_constituents(pythia_events):
    ev = pythia_events
    jets = cluster(ev, JetDefinition("antikt", 0.4), ptmin=0.0)
    for i in range(ev.n_events):
        s = slice(ev.offsets[i], ev.offsets[i + 1])
        lab = jets.particle_jet[s]
        assert np.all(lab >= 0)  # with pT_min = 0 every particle is in a jet
        for j in range(jets.offsets[i + 1] - jets.offsets[i]):
            k = jets.offsets[i] + j
            sel = lab == j
            expected = [ev.px[s][sel].sum(), ev.py[s][sel].sum(), ev.pz[s][sel].sum(), ev.e[s][sel].sum()]
            np.testing.assert_allclose(jets.event(i)[j], expected, rtol=1e-9, atol=1e-9)
            assert jets.n_constituents[k] == sel.sum()
    np.testing.assert_allclose(jets.e.sum(), ev.e.sum(), rtol=1e-12)  # total four-momentum is conserved


def test_jets_are_sorted_by_decreasing_pt(pythia_events):
    jets = cluster(pythia_events, JetDefinition("kt", 0.4), ptmin=1.0)
    pt = np.hypot(jets.px, jets.py)
    for ev in range(jets.n_events):
        assert np.all(np.diff(pt[jets.offsets[ev]:jets.offsets[ev + 1]]) <= 0)


def test_antikt_jets_are_stable_against_soft_noise():
    """The seed's point: adding soft noise barely moves hard anti-kT jets (kT jets move more)."""
    clean = generate("qcd", ["HardQCD:all = on", "PhaseSpace:pTHatMin = 300."], 8, seed=99, ecm=13000.0)
    noisy = generate("qcd", ["HardQCD:all = on", "PhaseSpace:pTHatMin = 300."], 8, seed=99, ecm=13000.0,
                     noise_per_event=300, noise_mean_pt=1.0)
    shift = {}
    for alg in ("antikt", "kt"):
        a = cluster(clean, JetDefinition(alg, 0.4), ptmin=100.0)
        b = cluster(noisy, JetDefinition(alg, 0.4), ptmin=100.0)
        lead_a = np.hypot(a.px, a.py)[a.offsets[:-1]]
        lead_b = np.hypot(b.px, b.py)[b.offsets[:-1]]
        shift[alg] = np.median(np.abs(lead_b - lead_a) / lead_a)
    assert shift["antikt"] < 0.05
    assert shift["antikt"] <= shift["kt"]


def test_bad_arguments_name_the_argument_and_the_study_names_the_config_key():
    ev = _one_event(_massless(10, 0, 0))
    for kwargs, argument in ((dict(algorithm="siscone", R=0.4), "algorithm"), (dict(algorithm="antikt", R=0.0), "R"),
                             (dict(algorithm="genkt", R=0.4), "p"),
                             (dict(algorithm="antikt", R=0.4, strategy="fast"), "strategy")):
        with pytest.raises(JetArgumentError, match=f"^{argument}: ") as err:
            JetDefinition(**kwargs)
        assert err.value.argument == argument
    with pytest.raises(JetArgumentError, match="n_jets"):
        cluster(ev, JetDefinition("kt", 0.4), n_jets=2, dcut=1.0)
    with pytest.raises(ConfigError, match="config key 'jets.radii'"):
        with config_keys(CLUSTER_KEYS):
            JetDefinition("antikt", -1.0)
    with pytest.raises(ConfigError, match="config key 'jets.genkt_p'"):
        with config_keys(CLUSTER_KEYS):
            JetDefinition("genkt", 0.4)


def test_definition_round_trips_through_provenance():
    d = JetDefinition("genkt", 0.7, p=0.5, strategy="lazy25")
    assert JetDefinition.from_params(d.params()) == d
    assert JetDefinition("antikt", 0.4).p == -1.0  # named algorithms record the exponent they use


def test_awkward_reference_round_trip_keeps_event_boundaries(pythia_events):
    ref = _fastjet(pythia_events, JetDefinition("antikt", 0.4), 5.0)
    assert len(ref) == pythia_events.n_events
    assert ak.all(ak.num(ref) > 0)


def test_events_and_jets_concatenate_and_round_trip_through_files(pythia_events, tmp_path):
    definition = JetDefinition("antikt", 0.4)
    jets = cluster(pythia_events, definition, ptmin=5.0)
    halves = [Events(*(getattr(pythia_events, c)[pythia_events.offsets[a]:pythia_events.offsets[b]]
                       for c in ("px", "py", "pz", "e", "pid")),
                     pythia_events.offsets[a:b + 1] - pythia_events.offsets[a]) for a, b in ((0, 5), (5, 12))]
    both = concat(halves)
    np.testing.assert_array_equal(both.offsets, pythia_events.offsets)
    np.testing.assert_array_equal(both.event(7), pythia_events.event(7))
    joined = concat([cluster(h, definition, ptmin=5.0) for h in halves])
    np.testing.assert_array_equal(joined.offsets, jets.offsets)
    np.testing.assert_array_equal(joined.particle_jet, jets.particle_jet)
    write_events(str(tmp_path / "ev.h5"), pythia_events, {})
    write_jets(str(tmp_path / "jets.h5"), jets, {**definition.params(), "ptmin": 5.0})
    back, attrs = read_jets(str(tmp_path / "jets.h5"))
    np.testing.assert_array_equal(back.event(3), jets.event(3))
    assert JetDefinition.from_params(attrs["params"]) == definition
    np.testing.assert_array_equal(read_events(str(tmp_path / "ev.h5")).event(2), pythia_events.event(2))


def test_event_file_with_inconsistent_offsets_is_a_clear_error(tmp_path):
    ev = Events(*(np.ones(5) for _ in range(4)), np.zeros(5, np.int64), np.array([0, 2, 7]))  # 7 > 5 particles
    path = tmp_path / "events.h5"
    write_events(str(path), ev, {})
    with pytest.raises(InputError, match="events.h5: offsets are not a valid CSR index for 5 particles"):
        read_events(str(path))


@pytest.mark.skipif(find_compiler() is None, reason="no C++ compiler: the benchmark falls back to awkward timing")
def test_cpp_harness_clusters_the_same_events_into_the_same_number_of_jets(pythia_events, tmp_path):
    binary = build_harness(tmp_path)
    assert build_harness(tmp_path) == binary  # compiled once, then reused
    with CppTimer(binary, tmp_path) as cpp:
        cpp.load(*pythia_events.four_momenta(), pythia_events.offsets)
        for algorithm, r in (("antikt", 0.4), ("kt", 1.0)):
            definition = JetDefinition(algorithm, r)
            secs, n_jets, strategy = cpp.time(definition, 5.0)
            assert secs > 0 and strategy.startswith("N2")
            assert n_jets == cluster(pythia_events, definition, ptmin=5.0).px.size
            assert len(cpp.strategies(definition)) == pythia_events.n_events


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chunked_scan_returns_the_first_minimum_as_numpy_argmin_does(seed: int) -> None:
    """_first_min (chunks of SCAN_CHUNK, the scan of small events) against numpy's argmin, which returns the
    first of tied minima: FastJet's first-minimum-wins.  Keys from a small set, so ties are common, and padded
    with +inf to the next whole chunk as the kernel keeps them; an all-inf array gives position 0."""
    from hepclust.jets.cluster import SCAN_CHUNK, _first_min

    rng = np.random.default_rng(seed)
    for size in range(1, 5 * SCAN_CHUNK + 2):
        key = np.full(size + SCAN_CHUNK, np.inf)
        key[:size] = rng.integers(0, 4, size).astype(float)
        key[:size][rng.random(size) < 0.2] = np.inf
        expected = int(np.argmin(key[:size])) if np.isfinite(key[:size]).any() else 0
        assert _first_min(key, size) == expected, (size, key[:size])


def test_compile_kernels_compiles_every_signature_the_clustering_runs():
    """jets_kernels runs it once so that the clustering jobs find numba's cache: if any definition, mode or
    thread count reached a signature it did not compile, those jobs would compile again."""
    from hepclust.jets import cluster as kernels

    compiled = kernels.compile_kernels()
    assert list(compiled) == ["kernel"] and len(compiled["kernel"]) == 1
    events = synthetic_events(700, 4, seed=3)
    for definition in (JetDefinition("antikt", 0.4), JetDefinition("kt", 1.0), JetDefinition("cambridge", 0.8),
                       JetDefinition("genkt", 0.6, 0.5)):
        for threads in (1, 2, 3):
            cluster(events, definition, ptmin=5.0, threads=threads)
        cluster(events, definition, n_jets=2)
        cluster(events, definition, dcut=10.0)
    assert [str(sig) for sig in kernels._cluster_events.signatures] == compiled["kernel"]
