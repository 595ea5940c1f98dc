"""A toy but physical 2-D pixel-readout LArTPC simulator.

Charge deposited in the liquid argon drifts to the anode, so a pixel readout
sees the projection of each event onto the anode plane (x along the 3 m
length, y vertical).  We step every charged particle in 3-D, deposit energy
along its path with Landau-like fluctuations, and histogram the projected
deposits onto pixels of the configured pitch.  Energies are converted to
charge (ke-) with a recombination survival of 0.7 and W = 23.6 eV.

Event classes (truth, never shown to the clustering):
  through_muon   cosmic muon crossing the image: cos^2(theta) zenith
                 distribution, dE/dx ~ 2.1 MeV/cm, delta rays with a 1/T^2
                 spectrum, Highland multiple scattering
  stopping_muon  muon that stops inside: Bragg rise dE/dx ~ A r^-0.42
  michel         stopping muon plus its decay electron, energy from the Michel
                 spectrum x^2 (3 - 2x), endpoint 52.8 MeV
  em_shower      electromagnetic shower: Gamma longitudinal profile in
                 radiation lengths (X0 = 14 cm), Moliere-radius transverse spread
  hadronic       interaction vertex with 2-5 prongs: protons (Bragg peaks) and
                 pions (minimum ionising, scattering)
  multi_muon     2-4 near-parallel muons from one air shower

Detector effects: per-pixel Gaussian noise, zero suppression below a
threshold, and dead regions (missing columns / blocks of pixels).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from hepclust.errors import ConfigError

CLASSES = ("through_muon", "stopping_muon", "michel", "em_shower", "hadronic", "multi_muon")
MIP_DEDX = 2.1  # MeV/cm, minimum ionising in LAr
X0_CM = 14.0  # radiation length of LAr
MOLIERE_CM = 9.0
CRITICAL_MEV = 32.0
MICHEL_ENDPOINT = 52.8
MUON_MASS = 105.66
KE_PER_MEV = 0.7 / 23.6e-3  # recombination survival / W-value: ke- per MeV deposited


@dataclass(frozen=True)
class Geometry:
    width: int  # pixels along x
    height: int  # pixels along y
    pitch_cm: float

    @property
    def size_cm(self) -> tuple[float, float]:
        return self.width * self.pitch_cm, self.height * self.pitch_cm


@dataclass(frozen=True)
class Deposits:
    """Energy deposits: projected positions (cm) and energy (MeV)."""

    x: np.ndarray
    y: np.ndarray
    e: np.ndarray

    @staticmethod
    def concat(parts: Sequence["Deposits"]) -> "Deposits":
        if not parts:
            return Deposits(np.empty(0), np.empty(0), np.empty(0))
        return Deposits(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("x", "y", "e")))


def _unit(theta: float, phi: float) -> np.ndarray:
    """Direction with zenith angle theta from the downward vertical (-y) and azimuth phi."""
    return np.array([math.sin(theta) * math.cos(phi), -math.cos(theta), math.sin(theta) * math.sin(phi)])


def _track(rng, start, direction, length_cm, step_cm, dedx_fn, p_mev=None, mass=MUON_MASS, landau=True,
           stopping=False):
    """Step a charged particle: per-step deposits, with multiple scattering when ``p_mev`` is given.

    Vectorised: the momentum along the track follows from the (deterministic)
    mean energy loss, each step's Highland angle from that momentum, and the
    direction from the cumulative sum of the random kicks in the plane
    transverse to the initial direction (small-angle approximation).
    ``stopping``: the particle ranges out, so its initial momentum follows
    from the energy it deposits.  Returns the deposits and the end point.
    """
    n = max(1, int(length_cm / step_cm))
    d0 = np.asarray(direction, float) / np.linalg.norm(direction)
    residual = length_cm - step_cm * np.arange(n)
    e = np.array([dedx_fn(r) for r in residual]) * step_cm
    if stopping:  # a particle that stops carries exactly the kinetic energy it deposits
        p_mev = math.sqrt(e.sum() * (e.sum() + 2 * mass))
    if p_mev is not None:
        a = np.cross(d0, [0.0, 0.0, 1.0])
        if np.linalg.norm(a) < 1e-6:
            a = np.cross(d0, [1.0, 0.0, 0.0])
        a /= np.linalg.norm(a)
        b = np.cross(d0, a)
        energy = math.hypot(p_mev, mass) - np.concatenate([[0.0], np.cumsum(e[:-1])])
        p = np.sqrt(np.maximum(energy**2 - mass**2, 1.0))
        beta = p / np.sqrt(p**2 + mass**2)
        t = step_cm / X0_CM
        theta0 = 13.6 / (beta * p) * math.sqrt(t) * (1 + 0.038 * math.log(t))
        kicks = np.cumsum(rng.normal(size=(n, 2)) * np.minimum(theta0, 0.5)[:, None], axis=0)
        d = d0 + kicks[:, :1] * a + kicks[:, 1:] * b
        d /= np.linalg.norm(d, axis=1, keepdims=True)
    else:
        d = np.broadcast_to(d0, (n, 3))
    ends = np.asarray(start, float) + np.cumsum(step_cm * d, axis=0)
    pos = ends - 0.5 * step_cm * d
    if landau:
        # Landau-like straggling: Moyal fluctuations around the mean, clipped to stay physical
        e = e * np.clip(stats.moyal.rvs(loc=0.8, scale=0.12, size=n, random_state=rng), 0.3, 6.0)
    return Deposits(pos[:, 0], pos[:, 1], e), ends[-1]


def _mip(_residual: float) -> float:
    return MIP_DEDX


PROTON_MASS = 938.27
BRAGG_A_PROTON = 17.0  # MeV/cm at 1 cm residual range, protons in LAr
# Same velocity -> same dE/dx, and range scales with mass: dE/dx_mu(r) = dE/dx_p(r m_p / m_mu).
BRAGG_A_MUON = BRAGG_A_PROTON * (MUON_MASS / PROTON_MASS) ** 0.42


def _bragg(residual_cm: float, a: float = BRAGG_A_MUON) -> float:
    """dE/dx near the end of a track: A r^-0.42 (Bragg-Kleeman), never below minimum ionising."""
    return max(MIP_DEDX, a * max(residual_cm, 0.05) ** -0.42)


def _delta_rays(rng, track: Deposits, step_cm: float, rate_per_cm: float, t_min=1.0, t_max=50.0) -> Deposits:
    """Knock-on electrons along a track, T sampled from dN/dT ~ 1/T^2 on [t_min, t_max] MeV."""
    length = track.x.size * step_cm
    n = rng.poisson(rate_per_cm * length)
    parts = []
    for _ in range(n):
        u = rng.random()
        t = 1.0 / (1.0 / t_min - u * (1.0 / t_min - 1.0 / t_max))
        i = rng.integers(track.x.size)
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        rng_cm = t / MIP_DEDX
        dep, _ = _track(rng, (track.x[i], track.y[i], 0.0), direction, rng_cm, min(step_cm, rng_cm),
                        lambda r: MIP_DEDX, p_mev=math.sqrt(t * (t + 2 * 0.511)), mass=0.511)
        dep = Deposits(dep.x, dep.y, dep.e * (t / max(dep.e.sum(), 1e-9)))  # deposit exactly T
        parts.append(dep)
    return Deposits.concat(parts)


def _cosmic_direction(rng) -> np.ndarray:
    """Zenith angle from cos^2(theta) (sampled as cos(theta) = U^(1/3)), azimuth uniform."""
    cos_t = rng.random() ** (1.0 / 3.0)
    return _unit(math.acos(cos_t), rng.uniform(0, 2 * math.pi))


def _box_exit(point, direction, geo: Geometry) -> float:
    """Distance from a point inside the image box to its boundary along ``direction`` (projected x, y)."""
    w, h = geo.size_cm
    ts = []
    for k, hi in ((0, w), (1, h)):
        if direction[k] > 1e-12:
            ts.append((hi - point[k]) / direction[k])
        elif direction[k] < -1e-12:
            ts.append(-point[k] / direction[k])
    return min(ts) if ts else 0.0


def through_muon(rng, geo: Geometry, step: float, delta_rate: float, direction=None, point=None) -> Deposits:
    """A muon crossing the whole image through a point drawn uniformly inside it."""
    w, h = geo.size_cm
    d = _cosmic_direction(rng) if direction is None else direction
    pt = np.array([rng.uniform(0, w), rng.uniform(0, h), 50.0]) if point is None else point
    back, forward = _box_exit(pt, -d, geo), _box_exit(pt, d, geo)
    s = pt - (back + step) * d
    length = back + forward + 2 * step
    p = float(rng.lognormal(math.log(4000.0), 0.7))  # MeV; cosmic muons at sea level, ~4 GeV typical
    dep, _ = _track(rng, s, d, length, step, _mip, p_mev=p)
    return Deposits.concat([dep, _delta_rays(rng, dep, step, delta_rate)])


def stopping_muon(rng, geo: Geometry, step: float, delta_rate: float, michel: bool) -> Deposits:
    w, h = geo.size_cm
    d = _cosmic_direction(rng)
    end = np.array([rng.uniform(0.15 * w, 0.85 * w), rng.uniform(0.15 * h, 0.7 * h), 50.0])
    length = float(rng.uniform(0.6, 1.5)) * h
    start = end - length * d
    # Bragg rise toward the stopping point; momentum follows from the residual range
    dep, stop = _track(rng, start, d, length, step, _bragg, stopping=True)
    parts = [dep, _delta_rays(rng, dep, step, delta_rate)]
    if michel:
        x = _michel_fraction(rng)
        energy = x * MICHEL_ENDPOINT
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        rng_cm = energy / MIP_DEDX
        e_dep, _ = _track(rng, stop, direction, rng_cm, min(step, rng_cm), _mip,
                          p_mev=math.sqrt(energy * (energy + 1.022)), mass=0.511)
        # the electron radiates: a few detached brem photon blobs further along
        blobs = []
        for _ in range(rng.poisson(energy / 20.0)):
            dist = rng.exponential(9.0 / 7.0 * X0_CM)
            c = stop + direction * (rng_cm + dist) + rng.normal(0, 3.0, 3)
            e_b = rng.uniform(1.0, 5.0)
            blobs.append(Deposits(c[0] + rng.normal(0, 0.5, 5), c[1] + rng.normal(0, 0.5, 5), np.full(5, e_b / 5)))
        parts += [Deposits(e_dep.x, e_dep.y, e_dep.e * (energy * 0.8 / max(e_dep.e.sum(), 1e-9)))] + blobs
    return Deposits.concat(parts)


def _michel_fraction(rng) -> float:
    """x = E / 52.8 MeV from dN/dx ~ x^2 (3 - 2x) on [0, 1] (rejection; max of the density is 1 at x=1)."""
    while True:
        x, u = rng.random(), rng.random()
        if u <= x * x * (3 - 2 * x):
            return x


def em_shower(rng, geo: Geometry, e_min: float = 200.0, e_max: float = 2000.0) -> Deposits:
    """Longitudinal Gamma profile dE/dt = E b (bt)^(a-1) e^(-bt) / Gamma(a), t in X0; t_max = ln(E/Ec) - 0.5."""
    w, h = geo.size_cm
    energy = float(rng.uniform(e_min, e_max))
    d = _unit(math.acos(rng.uniform(0.2, 1.0)), rng.uniform(0, 2 * math.pi))
    start = np.array([rng.uniform(0.2 * w, 0.8 * w), rng.uniform(0.6 * h, 0.95 * h), 50.0])
    b = 0.5
    t_max = max(0.5, math.log(energy / CRITICAL_MEV) - 0.5)
    a = b * t_max + 1.0
    n = int(min(4000, max(300, energy / 0.5)))
    t = rng.gamma(a, 1.0 / b, n)  # depth in X0
    depth = t * X0_CM
    # transverse spread grows with depth: ~ Moliere radius scale, core + halo
    r = np.where(rng.random(n) < 0.8, rng.exponential(0.15 * MOLIERE_CM, n), rng.exponential(0.6 * MOLIERE_CM, n))
    r *= np.clip(t / t_max, 0.2, 2.0)
    ang = rng.uniform(0, 2 * math.pi, n)
    u = np.cross(d, [0.0, 0.0, 1.0])
    u /= np.linalg.norm(u)
    v = np.cross(d, u)
    pts = start + np.outer(depth, d) + np.outer(r * np.cos(ang), u) + np.outer(r * np.sin(ang), v)
    return Deposits(pts[:, 0], pts[:, 1], np.full(n, energy / n))


def hadronic(rng, geo: Geometry, step: float, delta_rate: float) -> Deposits:
    w, h = geo.size_cm
    vertex = np.array([rng.uniform(0.25 * w, 0.75 * w), rng.uniform(0.25 * h, 0.75 * h), 50.0])
    parts = []
    for _ in range(rng.integers(2, 6)):
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        if rng.random() < 0.6:  # proton: short, heavily ionising, Bragg peak at the end
            length = float(rng.uniform(2.0, 30.0))
            dep, _ = _track(rng, vertex, direction, length, min(step, length / 3), lambda r: _bragg(r, BRAGG_A_PROTON),
                            mass=PROTON_MASS, stopping=True)
        else:  # charged pion: minimum ionising, scatters
            length = float(rng.uniform(15.0, 80.0))
            dep, _ = _track(rng, vertex, direction, length, step, _mip, p_mev=float(rng.uniform(150, 600)),
                            mass=139.57)
            dep = Deposits.concat([dep, _delta_rays(rng, dep, step, delta_rate)])
        parts.append(dep)
    return Deposits.concat(parts)


def multi_muon(rng, geo: Geometry, step: float, delta_rate: float) -> Deposits:
    w, h = geo.size_cm
    d0 = _cosmic_direction(rng)
    parts = []
    for _ in range(rng.integers(2, 5)):
        d = d0 + rng.normal(0, math.radians(3.0), 3)
        d /= np.linalg.norm(d)
        point = np.array([rng.uniform(0, w), rng.uniform(0, h), 50.0])
        parts.append(through_muon(rng, geo, step, delta_rate, direction=d, point=point))
    return Deposits.concat(parts)


def pixelise(dep: Deposits, geo: Geometry) -> np.ndarray:
    """Histogram projected deposits onto the pixel grid (rows: y from top, columns: x), in MeV."""
    w, h = geo.size_cm
    img, _, _ = np.histogram2d(dep.y, dep.x, bins=(geo.height, geo.width), range=((0, h), (0, w)), weights=dep.e)
    return img[::-1]  # row 0 at the top of the detector


@dataclass(frozen=True)
class Detector:
    noise_mev: float  # per-pixel Gaussian noise (MeV-equivalent)
    threshold_mev: float  # zero suppression below this
    dead_fraction: float  # probability that an event has a dead region
    delta_rate_per_cm: float  # knock-on electrons above 1 MeV per cm of muon track


def apply_detector(rng, img_mev: np.ndarray, det: Detector) -> np.ndarray:
    """Noise, dead regions and zero suppression; returns charge in ke- (float32)."""
    img = img_mev + rng.normal(0.0, det.noise_mev, img_mev.shape)
    if rng.random() < det.dead_fraction:
        h, w = img.shape
        if rng.random() < 0.5:  # dead readout columns
            c = rng.integers(0, w)
            img[:, c:c + rng.integers(1, max(2, w // 16))] = 0.0
        else:  # dead block of pixels
            r0, c0 = rng.integers(0, h), rng.integers(0, w)
            img[r0:r0 + rng.integers(h // 8, h // 3 + 1), c0:c0 + rng.integers(w // 8, w // 3 + 1)] = 0.0
    img[img < det.threshold_mev] = 0.0
    return (img * KE_PER_MEV).astype(np.float32)


def simulate_event(rng, cls: int, geo: Geometry, det: Detector) -> np.ndarray:
    step = max(0.1, geo.pitch_cm / 3)
    name = CLASSES[cls]
    if name == "through_muon":
        dep = through_muon(rng, geo, step, det.delta_rate_per_cm)
    elif name == "stopping_muon":
        dep = stopping_muon(rng, geo, step, det.delta_rate_per_cm, michel=False)
    elif name == "michel":
        dep = stopping_muon(rng, geo, step, det.delta_rate_per_cm, michel=True)
    elif name == "em_shower":
        dep = em_shower(rng, geo)
    elif name == "hadronic":
        dep = hadronic(rng, geo, step, det.delta_rate_per_cm)
    else:
        dep = multi_muon(rng, geo, step, det.delta_rate_per_cm)
    return apply_detector(rng, pixelise(dep, geo), det)


def class_counts(n_events: int, fractions: Mapping[str, float]) -> np.ndarray:
    """Integer event counts per class that sum to n_events and follow the fractions (largest remainder)."""
    unknown = set(fractions) - set(CLASSES)
    if unknown:
        raise ConfigError("lartpc.fractions", f"unknown class(es) {sorted(unknown)}; classes are {list(CLASSES)}")
    f = np.array([fractions.get(c, 0.0) for c in CLASSES], float)
    if np.any(f < 0) or f.sum() <= 0:
        raise ConfigError("lartpc.fractions", "fractions must be non-negative and not all zero")
    f /= f.sum()
    raw = f * n_events
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: n_events - counts.sum()]] += 1
    return counts


SPLIT_IDS = {"train": 0, "test": 1}  # part of every event's seed, so the splits never share a random stream


def event_labels(n_events: int, fractions: Mapping[str, float], seed: int, split_id: int) -> np.ndarray:
    """Truth class of every event of a split, in a seeded random order.

    Computed whole (8 bytes per event: 40 MB for 5 million) by every shard job,
    so that event i has the same class whatever the shard size.
    """
    labels = np.repeat(np.arange(len(CLASSES)), class_counts(n_events, fractions))
    np.random.default_rng(np.random.SeedSequence([seed, split_id])).shuffle(labels)
    return labels.astype(np.int64)


def event_rng(seed: int, split_id: int, index: int) -> np.random.Generator:
    """The random stream of one event: derived from (seed, split, global event index) only."""
    return np.random.default_rng(np.random.SeedSequence([seed, split_id, index]))


def simulate(n_events: int, fractions: Mapping[str, float], geo: Geometry, det: Detector, seed: int,
             split_id: int = 0, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images (M, H, W) in ke- and truth classes (M,) of events ``start:stop`` of an ``n_events`` split.

    Every event draws from its own stream (:func:`event_rng`), so any slicing
    of the split into shards gives exactly the same events.
    """
    stop = n_events if stop is None else stop
    if not 0 <= start <= stop <= n_events:
        raise ValueError(f"events {start}:{stop} are outside the split of n_events={n_events}")
    labels = event_labels(n_events, fractions, seed, split_id)[start:stop]
    images = np.empty((stop - start, geo.height, geo.width), np.float32)
    for i, cls in enumerate(labels):
        images[i] = simulate_event(event_rng(seed, split_id, start + i), int(cls), geo, det)
    return images, labels
