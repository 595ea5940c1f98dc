"""Generalised-kT jet clustering in numba, reproducing FastJet jet for jet.

For exponent p (kT p=1, Cambridge/Aachen p=0, anti-kT p=-1):
    d_ij = min(kt_i^2p, kt_j^2p) * dR_ij^2 / R^2,  dR^2 = dy^2 + dphi^2,  d_iB = kt_i^2p,
with rapidity y and E-scheme (four-vector sum) recombination.

The algorithm is FastJet's nearest-neighbour N^2 strategy ("N2Plain"): each
pseudojet keeps its nearest neighbour (geometric distance only, below R^2),
so after a merge only the jets whose neighbour changed are re-scanned.  We keep
FastJet's bookkeeping too -- distances scaled by R^2, the merged jet placed in
the lower slot, the last jet moved into the freed slot, first-minimum-wins --
because with the same arithmetic in the same order even exact ties (identical
particles) resolve the same way, which is what "validated jet by jet" needs.

The whole loop, over events too, is compiled; there is no Python object per
particle.  Events come in CSR form (flat arrays + offsets) and so do the jets.
A clustering history like FastJet's (parents, d_ij, running max d_ij) is kept
per event, from which inclusive jets (pT > pT_min) and exclusive jets (n_jets,
or d_cut) are read exactly as FastJet reads them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from hepclust.errors import ConfigError
from hepclust.jets.kinematics import TWOPI, phi_of, rap_of

# Algorithm codes for the compiled core.
KT, CAMBRIDGE, ANTIKT, GENKT = 0, 1, 2, 3
ALGORITHMS = {"kt": KT, "cambridge": CAMBRIDGE, "antikt": ANTIKT, "genkt": GENKT}
EXPONENT = {KT: 1.0, CAMBRIDGE: 0.0, ANTIKT: -1.0}

INCLUSIVE, EXCLUSIVE_NJETS, EXCLUSIVE_DCUT = 0, 1, 2
BEST, PLAIN, TILED = 0, 1, 2
STRATEGIES = {"best": BEST, "plain": PLAIN, "tiled": TILED}
BEAM = -1
INITIAL = -3


@nb.njit(cache=True, inline="always")
def _momentum_factor(px: float, py: float, algo: int, p: float) -> float:
    """kt^2p exactly as FastJet's jet_scale_for_algorithm (with its safety clips)."""
    kt2 = px * px + py * py
    if algo == KT:
        return kt2
    if algo == CAMBRIDGE:
        return 1.0
    if algo == ANTIKT:
        return 1.0 / kt2 if kt2 > 1e-300 else 1e300
    if p <= 0.0 and kt2 < 1e-300:
        kt2 = 1e-300
    return kt2**p


@nb.njit(cache=True, inline="always")
def _dist(rap, phi, i, j):
    dphi = abs(phi[i] - phi[j])
    deta = rap[i] - rap[j]
    if dphi > math.pi:
        dphi = TWOPI - dphi
    return dphi * dphi + deta * deta


@nb.njit(cache=True, inline="always")
def _dij(mom, nn, nndist, i):
    m = mom[i]
    k = nn[i]
    if k >= 0 and mom[k] < m:
        m = mom[k]
    return nndist[i] * m


@nb.njit(cache=True, inline="always")
def _load_particles(px, py, pz, e, start, n, algo, p, jx, jy, jz, je, h_p1, h_p2, h_dij, h_max, h_jet, jet_hist,
                    rap, phi, mom):
    """Particles become jets 0..n-1 and history entries 0..n-1, with their y, phi and kt^2p."""
    for i in range(n):
        k = start + i
        jx[i], jy[i], jz[i], je[i] = px[k], py[k], pz[k], e[k]
        h_p1[i] = INITIAL
        h_p2[i] = INITIAL
        h_dij[i] = 0.0
        h_max[i] = 0.0
        h_jet[i] = i
        jet_hist[i] = i
        rap[i] = rap_of(px[k], py[k], pz[k], e[k])
        phi[i] = phi_of(px[k], py[k])
        mom[i] = _momentum_factor(px[k], py[k], algo, p)


@nb.njit(cache=True, inline="always")
def _record_merge(ja, jb, k, n_hist, jx, jy, jz, je, h_p1, h_p2, h_jet, jet_hist):
    """E-scheme: jet k = jet ja + jet jb, recorded as history entry n_hist (parents ordered as FastJet's)."""
    jx[k] = jx[ja] + jx[jb]
    jy[k] = jy[ja] + jy[jb]
    jz[k] = jz[ja] + jz[jb]
    je[k] = je[ja] + je[jb]
    hi, hj = jet_hist[ja], jet_hist[jb]
    h_p1[n_hist] = min(hi, hj)
    h_p2[n_hist] = max(hi, hj)
    h_jet[n_hist] = k
    jet_hist[k] = n_hist


@nb.njit(cache=True)
def _cluster_history(px, py, pz, e, start, n, r2, algo, p, jx, jy, jz, je, h_p1, h_p2, h_dij, h_max, h_jet,
                     rap, phi, mom, nn, nndist, bj_jet, dij):
    """Cluster one event; fill jets (jx..je, 2n slots) and the history (2n entries). Returns nothing."""
    inv_r2 = 1.0 / r2
    jet_hist = np.empty(2 * n, dtype=np.int64)  # history index of each jet
    _load_particles(px, py, pz, e, start, n, algo, p, jx, jy, jz, je, h_p1, h_p2, h_dij, h_max, h_jet, jet_hist,
                    rap, phi, mom)
    for i in range(n):
        nn[i] = -1
        nndist[i] = r2
        bj_jet[i] = i
    for a in range(1, n):
        for b in range(a):
            d = _dist(rap, phi, a, b)
            if d < nndist[a]:
                nndist[a] = d
                nn[a] = b
            if d < nndist[b]:
                nndist[b] = d
                nn[b] = a
    for i in range(n):
        dij[i] = _dij(mom, nn, nndist, i)

    n_jets = n
    n_hist = n
    tail = n
    while tail > 0:
        a = 0
        dmin = dij[0]
        for i in range(1, tail):
            if dij[i] < dmin:
                dmin = dij[i]
                a = i
        b = nn[a]
        dmin *= inv_r2
        prev_max = h_max[n_hist - 1] if n_hist > 0 else 0.0
        if b >= 0:
            if a < b:
                a, b = b, a
            k = n_jets
            _record_merge(bj_jet[a], bj_jet[b], k, n_hist, jx, jy, jz, je, h_p1, h_p2, h_jet, jet_hist)
            n_jets += 1
            # the merged jet takes slot b
            rap[b] = rap_of(jx[k], jy[k], jz[k], je[k])
            phi[b] = phi_of(jx[k], jy[k])
            mom[b] = _momentum_factor(jx[k], jy[k], algo, p)
            nn[b] = -1
            nndist[b] = r2
            bj_jet[b] = k
        else:
            h_p1[n_hist] = jet_hist[bj_jet[a]]
            h_p2[n_hist] = BEAM
            h_jet[n_hist] = -1
        h_dij[n_hist] = dmin
        h_max[n_hist] = max(dmin, prev_max)
        n_hist += 1

        tail -= 1
        rap[a], phi[a], mom[a] = rap[tail], phi[tail], mom[tail]
        nn[a], nndist[a], bj_jet[a], dij[a] = nn[tail], nndist[tail], bj_jet[tail], dij[tail]
        for i in range(tail):
            if nn[i] == a or (b >= 0 and nn[i] == b):
                nndist[i] = r2
                nn[i] = -1
                for j in range(tail):
                    if j == i:
                        continue
                    d = _dist(rap, phi, i, j)
                    if d < nndist[i]:
                        nndist[i] = d
                        nn[i] = j
                dij[i] = _dij(mom, nn, nndist, i)
            if b >= 0 and i != b:
                d = _dist(rap, phi, i, b)
                if d < nndist[i]:
                    nndist[i] = d
                    nn[i] = b
                    dij[i] = _dij(mom, nn, nndist, i)
                if d < nndist[b]:
                    nndist[b] = d
                    nn[b] = i
            if nn[i] == tail:
                nn[i] = a
        if b >= 0:
            dij[b] = _dij(mom, nn, nndist, b)


TILED_MIN_N = 100  # below this the plain N^2 loop is faster (see results/jets/benchmark.csv)
TILE_RAP_LIMIT = 10.0  # tiles span |y| <= this; particles beyond sit in the edge tiles


@nb.njit(cache=True, inline="always")
def _tile_of(y, ph, ylo, ny, wy, nphi, wphi):
    iy = int((y - ylo) / wy) if y > ylo else 0
    if iy >= ny:
        iy = ny - 1
    ip = int(ph / wphi)
    if ip >= nphi:
        ip = nphi - 1
    return iy * nphi + ip


@nb.njit(cache=True, inline="always")
def _tile_insert(slot, t, tile, head, nxt, prv):
    """Put a slot at the head of tile t's doubly linked list."""
    tile[slot] = t
    prv[slot] = -1
    nxt[slot] = head[t]
    if head[t] >= 0:
        prv[head[t]] = slot
    head[t] = slot


@nb.njit(cache=True, inline="always")
def _neighbour_tiles(t, ny, nphi, out):
    """The (up to) 3x3 tiles around t: y does not wrap, phi does.  Returns how many."""
    iy = t // nphi
    ip = t - iy * nphi
    c = 0
    for dy in (-1, 0, 1):
        jy = iy + dy
        if jy < 0 or jy >= ny:
            continue
        for dp in (-1, 0, 1):
            jp = (ip + dp) % nphi
            out[c] = jy * nphi + jp
            c += 1
    return c


@nb.njit(cache=True, inline="always")
def _scan_nn(i, tile, head, nxt, rap, phi, nn, nndist, r2, ny, nphi, nb_buf):
    """Nearest neighbour of jet i among the jets of its 3x3 tile neighbourhood (geometric, < R^2)."""
    nndist[i] = r2
    nn[i] = -1
    c = _neighbour_tiles(tile[i], ny, nphi, nb_buf)
    for q in range(c):
        j = head[nb_buf[q]]
        while j >= 0:
            if j != i:
                d = _dist(rap, phi, i, j)
                if d < nndist[i]:
                    nndist[i] = d
                    nn[i] = j
            j = nxt[j]


@nb.njit(cache=True, inline="always")
def _heap_swap(heap, hpos, i, j):
    a, b = heap[i], heap[j]
    heap[i], heap[j] = b, a
    hpos[b], hpos[a] = i, j


@nb.njit(cache=True)
def _heap_fix(heap, hpos, key, size, i):
    """Restore the min-heap order around heap position i after key[heap[i]] changed."""
    while i > 0:
        parent = (i - 1) >> 1
        if key[heap[i]] < key[heap[parent]]:
            _heap_swap(heap, hpos, i, parent)
            i = parent
        else:
            break
    _sift_down(heap, hpos, key, size, i)


@nb.njit(cache=True)
def _sift_down(heap, hpos, key, size, i):
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and key[heap[left + 1]] < key[heap[left]]:
            child = left + 1
        if key[heap[child]] < key[heap[i]]:
            _heap_swap(heap, hpos, i, child)
            i = child
        else:
            break


@nb.njit(cache=True)
def _heap_remove(heap, hpos, key, size, slot):
    """Remove slot from a heap of the given size; returns the new size."""
    i = hpos[slot]
    last = size - 1
    if i != last:
        _heap_swap(heap, hpos, i, last)
        _heap_fix(heap, hpos, key, last, i)
    return last


@nb.njit(cache=True)
def _cluster_history_tiled(px, py, pz, e, start, n, r, algo, p, jx, jy, jz, je, h_p1, h_p2, h_dij, h_max, h_jet,
                           rap, phi, mom, nn, nndist, dij, tile, nxt, prv, active, pos):
    """Tiled N^2 clustering of one event; same outputs as :func:`_cluster_history`.

    Tiles are at least R wide in y and phi, so every neighbour closer than R
    lies in the 3x3 block of tiles around a jet.  Slots are jet indices (a new
    jet gets a new slot), tiles are doubly linked lists of slots, and a compact
    binary min-heap indexed by slot (``active``/``pos``) yields the smallest d
    in log N, so a step costs the neighbourhood updates, not a scan of all jets.
    """
    r2 = r * r
    inv_r2 = 1.0 / r2
    jet_hist = np.empty(2 * n, np.int64)
    _load_particles(px, py, pz, e, start, n, algo, p, jx, jy, jz, je, h_p1, h_p2, h_dij, h_max, h_jet, jet_hist,
                    rap, phi, mom)
    ylo, yhi = TILE_RAP_LIMIT, -TILE_RAP_LIMIT
    for i in range(n):
        ylo = min(ylo, max(rap[i], -TILE_RAP_LIMIT))
        yhi = max(yhi, min(rap[i], TILE_RAP_LIMIT))
    ny = max(1, int((yhi - ylo) / r))
    wy = max((yhi - ylo) / ny, r)
    nphi = max(3, int(TWOPI / r))
    wphi = TWOPI / nphi
    n_tiles = ny * nphi
    head = np.full(n_tiles, -1, np.int64)
    mark = np.zeros(n_tiles, np.int64)
    nb_buf = np.empty(9, np.int64)
    nb_buf2 = np.empty(9, np.int64)
    todo = np.empty(27, np.int64)
    for i in range(n):
        _tile_insert(i, _tile_of(rap[i], phi[i], ylo, ny, wy, nphi, wphi), tile, head, nxt, prv)
        active[i] = i
        pos[i] = i
    for i in range(n):
        _scan_nn(i, tile, head, nxt, rap, phi, nn, nndist, r2, ny, nphi, nb_buf)
    for i in range(n):
        dij[i] = _dij(mom, nn, nndist, i)
    for q in range(n // 2 - 1, -1, -1):
        _sift_down(active, pos, dij, n, q)

    n_active = n
    n_jets = n
    n_hist = n
    stamp = 0
    while n_active > 0:
        a = active[0]
        dmin = dij[a]
        b = nn[a]
        dmin *= inv_r2
        prev_max = h_max[n_hist - 1]
        k = -1
        # remove a (and b) from their tiles and from the active list
        for s in (a, b):
            if s < 0:
                continue
            if prv[s] >= 0:
                nxt[prv[s]] = nxt[s]
            else:
                head[tile[s]] = nxt[s]
            if nxt[s] >= 0:
                prv[nxt[s]] = prv[s]
            n_active = _heap_remove(active, pos, dij, n_active, s)
        if b >= 0:
            k = n_jets
            n_jets += 1
            _record_merge(a, b, k, n_hist, jx, jy, jz, je, h_p1, h_p2, h_jet, jet_hist)
            rap[k] = rap_of(jx[k], jy[k], jz[k], je[k])
            phi[k] = phi_of(jx[k], jy[k])
            mom[k] = _momentum_factor(jx[k], jy[k], algo, p)
            _tile_insert(k, _tile_of(rap[k], phi[k], ylo, ny, wy, nphi, wphi), tile, head, nxt, prv)
            nn[k] = -1
            nndist[k] = r2
            dij[k] = _dij(mom, nn, nndist, k)
            active[n_active] = k
            pos[k] = n_active
            n_active += 1
            _heap_fix(active, pos, dij, n_active, n_active - 1)
        else:
            h_p1[n_hist] = jet_hist[a]
            h_p2[n_hist] = BEAM
            h_jet[n_hist] = -1
        h_dij[n_hist] = dmin
        h_max[n_hist] = max(dmin, prev_max)
        n_hist += 1

        # tiles whose jets may have had a or b as neighbour, or may now have k
        stamp += 1
        n_todo = 0
        for s in (a, b, k):
            if s < 0:
                continue
            c = _neighbour_tiles(tile[s], ny, nphi, nb_buf2)
            for q in range(c):
                t = nb_buf2[q]
                if mark[t] != stamp:
                    mark[t] = stamp
                    todo[n_todo] = t
                    n_todo += 1
        for q in range(n_todo):
            i = head[todo[q]]
            while i >= 0:
                if i != k:
                    if nn[i] == a or (b >= 0 and nn[i] == b):
                        _scan_nn(i, tile, head, nxt, rap, phi, nn, nndist, r2, ny, nphi, nb_buf)
                        dij[i] = _dij(mom, nn, nndist, i)
                        _heap_fix(active, pos, dij, n_active, pos[i])
                    if k >= 0:
                        d = _dist(rap, phi, i, k)
                        if d < nndist[i]:
                            nndist[i] = d
                            nn[i] = k
                            dij[i] = _dij(mom, nn, nndist, i)
                            _heap_fix(active, pos, dij, n_active, pos[i])
                        if d < nndist[k]:
                            nndist[k] = d
                            nn[k] = i
                i = nxt[i]
        if k >= 0:
            dij[k] = _dij(mom, nn, nndist, k)
            _heap_fix(active, pos, dij, n_active, pos[k])


@nb.njit(cache=True)
def _roots(n, mode, ptmin2, njets, dcut, jx, jy, h_p1, h_p2, h_max, h_jet, roots):
    """History indices of the final jets, as FastJet's inclusive_jets/exclusive_jets pick them."""
    n_hist = 2 * n
    count = 0
    if mode == INCLUSIVE:
        for i in range(n_hist - 1, -1, -1):
            if h_p2[i] == BEAM:
                k = h_jet[h_p1[i]]
                if jx[k] * jx[k] + jy[k] * jy[k] >= ptmin2:
                    roots[count] = h_p1[i]
                    count += 1
        return count
    if mode == EXCLUSIVE_DCUT:
        i = n_hist - 1
        while i >= 0 and h_max[i] > dcut:
            i -= 1
        stop = i + 1
    else:
        stop = 2 * n - njets
        if njets > n:
            stop = n  # "up to": fewer particles than requested jets gives every particle
    if stop < n:
        stop = n
    for i in range(stop, n_hist):
        p1 = h_p1[i]
        if p1 < stop:
            roots[count] = p1
            count += 1
        p2 = h_p2[i]
        if 0 < p2 < stop:
            roots[count] = p2
            count += 1
    return count


@nb.njit(cache=True)
def _cluster_all(px, py, pz, e, offsets, r, algo, p, mode, ptmin, njets, dcut, strategy):
    n_events = offsets.shape[0] - 1
    n_total = offsets[-1]
    max_n = 0
    for ev in range(n_events):
        max_n = max(max_n, offsets[ev + 1] - offsets[ev])
    r2 = r * r
    size = 2 * max_n + 1
    jx, jy, jz, je = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
    h_p1 = np.empty(size, np.int64)
    h_p2 = np.empty(size, np.int64)
    h_dij, h_max = np.empty(size), np.empty(size)
    h_jet = np.empty(size, np.int64)
    rap, phi, mom, nndist, dij = np.empty(size), np.empty(size), np.empty(size), np.empty(size), np.empty(size)
    nn = np.empty(size, np.int64)
    bj_jet = np.empty(size, np.int64)
    roots = np.empty(size, np.int64)
    tile, nxt, prv = np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.int64)
    active, pos = np.empty(size, np.int64), np.empty(size, np.int64)
    label = np.empty(size, np.int64)
    out_px, out_py, out_pz, out_e = np.empty(n_total), np.empty(n_total), np.empty(n_total), np.empty(n_total)
    out_ncon = np.empty(n_total, np.int64)
    out_offsets = np.zeros(n_events + 1, np.int64)
    particle_jet = np.full(n_total, -1, np.int64)
    n_out = 0
    for ev in range(n_events):
        start = offsets[ev]
        n = offsets[ev + 1] - start
        if n > 0:
            tiled = strategy == TILED or (strategy == BEST and n >= TILED_MIN_N)
            if tiled:
                _cluster_history_tiled(px, py, pz, e, start, n, r, algo, p, jx, jy, jz, je, h_p1, h_p2, h_dij,
                                       h_max, h_jet, rap, phi, mom, nn, nndist, dij, tile, nxt, prv, active, pos)
            else:
                _cluster_history(px, py, pz, e, start, n, r2, algo, p, jx, jy, jz, je, h_p1, h_p2, h_dij, h_max,
                                 h_jet, rap, phi, mom, nn, nndist, bj_jet, dij)
            count = _roots(n, mode, ptmin * ptmin, njets, dcut, jx, jy, h_p1, h_p2, h_max, h_jet, roots)
            # order jets by decreasing pT (stable on ties: history order)
            pt2 = np.empty(count)
            for c in range(count):
                k = h_jet[roots[c]]
                pt2[c] = -(jx[k] * jx[k] + jy[k] * jy[k])
            order = np.argsort(pt2, kind="mergesort")
            for h in range(2 * n):
                label[h] = -1
            for rank in range(count):
                h = roots[order[rank]]
                label[h] = rank
                k = h_jet[h]
                out_px[n_out + rank], out_py[n_out + rank] = jx[k], jy[k]
                out_pz[n_out + rank], out_e[n_out + rank] = jz[k], je[k]
                out_ncon[n_out + rank] = 0
            # propagate jet labels from roots down to particles (children come after parents)
            for h in range(2 * n - 1, n - 1, -1):
                if h_p2[h] >= 0 and label[h] >= 0:
                    label[h_p1[h]] = label[h]
                    label[h_p2[h]] = label[h]
            for i in range(n):
                particle_jet[start + i] = label[i]
                if label[i] >= 0:
                    out_ncon[n_out + label[i]] += 1
            n_out += count
        out_offsets[ev + 1] = n_out
    return (out_px[:n_out].copy(), out_py[:n_out].copy(), out_pz[:n_out].copy(), out_e[:n_out].copy(),
            out_ncon[:n_out].copy(), out_offsets, particle_jet)


@dataclass
class Jets:
    """Jets of many events, CSR: jet arrays sorted by decreasing pT within each event."""

    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    n_constituents: np.ndarray
    offsets: np.ndarray
    particle_jet: np.ndarray  # per input particle: index of its jet in its event, -1 if in none

    def event(self, i: int) -> np.ndarray:
        """(n_jets, 4) array of (px, py, pz, E) of event i."""
        s = slice(self.offsets[i], self.offsets[i + 1])
        return np.column_stack([self.px[s], self.py[s], self.pz[s], self.e[s]])


def resolve_algorithm(algorithm: str, p: float | None = None, key: str = "jets.algorithms") -> tuple[int, float]:
    """Map a config name to (code, exponent); 'genkt' needs p, the named ones fix it."""
    if algorithm not in ALGORITHMS:
        raise ConfigError(key, f"unknown jet algorithm '{algorithm}'; choose from {sorted(ALGORITHMS)}")
    code = ALGORITHMS[algorithm]
    if code == GENKT:
        if p is None:
            raise ConfigError(key, "algorithm 'genkt' needs an exponent p")
        return code, float(p)
    return code, EXPONENT[code]


def cluster(
    px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray, offsets: np.ndarray, algorithm: str, r: float,
    p: float | None = None, ptmin: float = 0.0, n_jets: int | None = None, dcut: float | None = None,
    strategy: str = "best",
) -> Jets:
    """Cluster every event; inclusive jets above ``ptmin``, or exclusive ones (``n_jets`` or ``dcut``).

    ``dcut`` is in FastJet's units: the d_ij of the chosen algorithm (GeV^2 for kT).
    ``strategy``: "plain" N^2, "tiled" N^2, or "best" (plain below TILED_MIN_N particles, else tiled).
    """
    if strategy not in STRATEGIES:
        raise ConfigError("jets.strategy", f"unknown strategy '{strategy}'; choose from {sorted(STRATEGIES)}")
    if not r > 0:
        raise ConfigError("jets.radii", f"R must be positive, got {r}")
    if n_jets is not None and dcut is not None:
        raise ConfigError("jets.exclusive", "give either n_jets or dcut, not both")
    code, expo = resolve_algorithm(algorithm, p)
    mode, nj, dc = INCLUSIVE, 0, 0.0
    if n_jets is not None:
        if n_jets < 0:
            raise ConfigError("jets.exclusive.n_jets", f"must be >= 0, got {n_jets}")
        mode, nj = EXCLUSIVE_NJETS, int(n_jets)
    elif dcut is not None:
        mode, dc = EXCLUSIVE_DCUT, float(dcut)
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (px, py, pz, e)]
    off = np.ascontiguousarray(offsets, dtype=np.int64)
    return Jets(*_cluster_all(*arrays, off, float(r), code, expo, mode, float(ptmin), nj, dc, STRATEGIES[strategy]))
