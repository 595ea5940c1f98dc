"""Generalised-kT jet clustering in numba, reproducing FastJet jet for jet.

For exponent p (kT p=1, Cambridge/Aachen p=0, anti-kT p=-1):
    d_ij = min(kt_i^2p, kt_j^2p) * dR_ij^2 / R^2,  dR^2 = dy^2 + dphi^2,  d_iB = kt_i^2p,
with rapidity y and E-scheme (four-vector sum) recombination.

All strategies are FastJet's nearest-neighbour algorithm: each pseudojet keeps
its geometric nearest neighbour (below R^2), so after a merge only the jets
whose neighbour changed are re-scanned.  They differ in where they look:

* ``plain``: every other jet (N^2; best for a few dozen particles).
* ``tiled``: tiles at least R wide, the 3x3 block around a jet; a binary
  min-heap of d_ij gives the next step in log N -- or, below SCAN_MAX_N
  particles, a linear scan over a compact array of them, as FastJet's
  N2Tiled (cheaper there than the heap's sifts).
* ``lazy9`` / ``lazy25``: the same tiles (R wide, 3x3) or half as wide (5x5),
  but a tile is skipped when even its nearest edge is farther than the
  distance already found (FastJet's N2MHTLazy9/25 idea).  Each tile also keeps an
  upper bound of its jets' neighbour distances, so after a merge the tiles that
  cannot hold a jet closer to the new one are skipped without looking inside.
* ``best``: by multiplicity and R (:func:`choose_strategy`, thresholds measured
  by the benchmark rule).

In the tiled strategies every jet also keeps its followers (the jets whose
nearest neighbour it is) in a linked list.  After a merge, the jets that
followed the two merged ones are found in their lists, not by walking the
tiles around them testing every jet, as FastJet does: only the new jet's
neighbourhood is walked (measured side by side: 5-16 % at 100-1,000 particles
and on Pythia events, 25-40 % at 3,000-10,000).

We keep FastJet's bookkeeping -- distances scaled by R^2, first-minimum-wins,
history parents ordered -- because with the same arithmetic even exact ties
(identical particles) end in FastJet's jets (tested for every strategy), which
"validated jet by jet" needs.  The order in which tied pairs merge may still
differ from FastJet's: our tiles list jets by slot and are walked from the new
jet's tile outwards, and FastJet's heap breaks ties its own way.

Per-event work lives in two struct-of-arrays blocks (``W``: float rows,
``I``: integer rows, indexed by jet slot or history entry), allocated once per
block of events, so the kernels take a handful of arguments and allocate almost
nothing per event.  Events are independent: they are clustered in parallel
(blocks of events on Python threads, the kernel free of the GIL) on as many
threads as the caller asks for; the result does not depend on the thread count.
"""

from __future__ import annotations

import math
import types as pytypes
from concurrent.futures import ThreadPoolExecutor

import numba as nb
import numpy as np
from numba import types
from numba.extending import intrinsic

from hepclust.jets.definition import (ANTIKT, BEST, CAMBRIDGE, KT, LAZY9, LAZY25, PLAIN, TILED, JetArgumentError,
                                      JetDefinition)
from hepclust.jets.events import Events, Jets
from hepclust.jets.kinematics import TWOPI, phi_of, rap_of

INCLUSIVE, EXCLUSIVE_NJETS, EXCLUSIVE_DCUT = 0, 1, 2
BEAM = -1
INITIAL = -3

# Rows of the float work block W (slot-indexed unless noted).
# JP*: by jet; HDIJ, HMAX: by history entry; HKEY: by heap (or scanned array) position (the d_ij of the slot there)
RAP, PHI, MOM, NNDIST, DIJ, JPX, JPY, JPZ, JE, HDIJ, HMAX, HKEY = range(12)
N_FLOAT_ROWS = 12
# Rows of the integer work block I.
# FHEAD, FNXT, FPRV (tiled kernels): each jet's followers, the jets whose nearest neighbour it is, as a doubly
# linked list (FHEAD by the followed slot; FNXT / FPRV by the following slot).
NN, TILE, NXT, PRV, HEAP, HPOS, JETHIST, SLOTJET, HP1, HP2, HJET, ROOTS, LABEL, FHEAD, FNXT, FPRV = range(16)
N_INT_ROWS = 16

TILE_RAP_LIMIT = 10.0  # tiles span |y| <= this; particles beyond sit in the edge tiles
MIN_TILE = 0.1  # tiles are never narrower than this (as FastJet's), whatever R
MAX_TILES_PER_R = 6  # lazy25 in dense events: tiles down to R/6 (13x13 neighbourhood, mostly skipped)
TILE_OCCUPANCY = 10.0  # particles per tile aimed at in dense events (measured: 4 was slower at 10,000)
LAZY_MARGIN = 1e-10  # a tile is skipped only when its distance bound exceeds the target by this (rounding)

# Tile rows of the per-block scratch (TI: integers, TW: floats), MAX_TILES + 1 columns.  _geometry's tiles are at
# least MIN_TILE wide, so at most 2 TILE_RAP_LIMIT / MIN_TILE rows and max(2 pi / MIN_TILE, 2 MAX_TILES_PER_R + 1)
# columns.
HEAD, TSTART, TFILL, TROW = range(4)  # TROW: a tile's row (t // nphi), tabulated per event
N_TILE_INT_ROWS = 4
TMAX = 0
N_TILE_FLOAT_ROWS = 1
MAX_TILES = int(2 * TILE_RAP_LIMIT / MIN_TILE) * max(int(TWOPI / MIN_TILE), 2 * MAX_TILES_PER_R + 1)

# ``best``: plain N^2 below PLAIN_MAX_N particles; tiled up to LAZY9_MIN_N; then lazy9, lazy25 from
# LAZY25_MIN_N (x (0.4/R)^2 : the neighbourhood's occupancy, not N, decides).  Measured with every
# strategy forced on synthetic events of 100 ... 50,000 particles at R = 0.4 and 1.0 (README, jets).
# Crossovers re-measured after the follower lists, which sped the lazy strategies up more than tiled (one
# strategy's time over the other's, medians of 9 interleaved; anti-kT, kT): lazy9/tiled at R = 0.4 1.03 at 800,
# 0.96-1.00 at 1,100, 0.93-0.94 at 1,600; at R = 1.0 1.00-1.01 at 150, 0.94-0.99 at 200, 0.91-0.94 at 256 (x 0.16:
# 1,100 -> 176).  lazy25/lazy9 at R = 0.4 1.00-1.06 at 5,000, 0.90-0.95 at 10,000; at R = 1.0 1.01-1.06 at 1,000,
# 0.93 at 1,600 (x 0.16: 7,000 -> 1,120).  At R = 1.0 a threshold times (0.4/R)^2 = 0.16000000000000003 lies
# just above the round number: N equal to it stays below.
PLAIN_MAX_N = 60
LAZY9_MIN_N = 1100
LAZY25_MIN_N = 7000
# ``tiled`` below SCAN_MAX_N particles (``best``: 61-1,099 at R = 0.4, 61-176 at R = 1.0) finds the next step by a
# linear scan over a compact array of the active jets' d_ij (FastJet's N2Tiled) instead of the min-heap: a few
# hundred doubles scanned in chunks (:func:`_first_min`) cost less than the heap's log N sifts for the several d_ij
# a step changes.  Measured scan / heap (anti-kT, medians of 11-21 interleaved): Pythia (mean 657) 0.91-0.94 at
# R = 0.4 (kT 0.91-0.93); synthetic R = 0.4: 0.83-0.90 at 100, 0.87-0.90 at 300, 0.94 at 600, 0.91 at 800,
# 0.93-1.01 at 1,000, then (with the scan forced) 1.03 at 1,600, 1.07 at 2,000, 1.13 at 3,000; R = 1.0: 0.88-0.90
# at 100.  As a run-time flag of one _cluster_tiled the heap's own lazy steps (R = 1.0, 3,000-10,000 particles)
# measured 4-9 % slower, hence a compiled copy (_cluster_tiled_scan).  That copy is lazy-capable too: lazy9 below
# SCAN_MAX_N (``best``: 177-1,099 particles at R = 1.0) scans as well.  Measured lazy scan / lazy heap (medians of
# 11 interleaved): Pythia R = 1.0 0.93-0.96 (anti-kT, kT, C/A), synthetic 300 0.90-0.94, 1,000 0.94-1.01; the cost
# is compile time (cold, one core: 77 s -> 94 s).
SCAN_MAX_N = 1100
TILED_SCAN = False  # False in _cluster_tiled (the heap); True in its compiled copy _cluster_tiled_scan (the scan)
SCAN_CHUNK = 8  # keys per chunk of the scan; 16 measured 0.99 x the heap on Pythia R = 0.4
# _first_min's select tree reads exactly 8 keys per chunk (x0..x7), so the chunk is not a free knob: another
# value needs another tree there.  Fail at import rather than scan past or short of each chunk.
if SCAN_CHUNK != 8:
    raise ImportError(f"SCAN_CHUNK = {SCAN_CHUNK}, but _first_min's select tree reads 8 keys per chunk")


@intrinsic
def _ptr(typingctx, arr):
    """The data pointer of a contiguous array, typed: helpers called from the hot loops take pointers, not
    arrays, because an array handed to a helper costs atomic reference counts (measured ~10% of the tiled
    clustering); indexing a pointer also skips numba's negative-index wraparound.  The array must outlive
    the pointer (here: the work blocks, alive for the whole event).

    The helpers are plain numba functions, not ``inline="always"``: numba's own inlining of every helper at
    every call site bought no speed over LLVM's optimiser, and doubled the cold compile (60 s -> 32 s on
    one idle core without it; ours / FastJet C++ on the jets benchmark, medians over its 42 rows, 0.67 with
    and 0.65 without, within the run-to-run spread)."""
    if not isinstance(arr, types.Array) or arr.layout not in "CA":
        return None

    def codegen(context, builder, signature, args):
        return context.make_array(arr)(context, builder, args[0]).data

    return types.CPointer(arr.dtype)(arr), codegen


@nb.njit(cache=True)
def choose_strategy(n: int, r: float) -> int:
    """Strategy code ``best`` uses for an event of n particles at radius r."""
    if n <= PLAIN_MAX_N:
        return PLAIN
    scale = (0.4 / max(r, MIN_TILE)) ** 2
    if n < LAZY9_MIN_N * scale:
        return TILED
    if n < LAZY25_MIN_N * scale:
        return LAZY9
    return LAZY25


@nb.njit(cache=True)
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


@nb.njit(cache=True)
def _dist(yi, phii, yj, phij):
    """dy^2 + dphi^2, with FastJet's arithmetic: phi wrapped as 2 pi - |dphi| when |dphi| > pi.

    Takes values, not arrays: an array handed to a helper inside a loop costs two atomic
    reference-count updates per call, which measured ~20% of the tiled clustering."""
    dphi = abs(phii - phij)
    deta = yi - yj
    dphi = TWOPI - dphi if dphi > math.pi else dphi
    return dphi * dphi + deta * deta


@nb.njit(cache=True)
def _dij_at(mom, nn, nndist, i):
    """d_ij of jet i; in the tiled loop mom, nn, nndist are pointers (:func:`_ptr`), so no index may be -1."""
    m = mom[i]
    k = nn[i]
    if k >= 0:
        mk = mom[k]
        if mk < m:
            m = mk
    return nndist[i] * m


@nb.njit(cache=True)
def _load(px, py, pz, e, start, n, algo, p, W, I):
    """Particles become jets 0..n-1 (slots 0..n-1) and history entries 0..n-1, with their y, phi and kt^2p."""
    rap, phi, mom = W[RAP], W[PHI], W[MOM]
    jx, jy, jz, je = W[JPX], W[JPY], W[JPZ], W[JE]
    hdij, hmax = W[HDIJ], W[HMAX]
    hp1, hp2, hjet, jet_hist = I[HP1], I[HP2], I[HJET], I[JETHIST]
    for i in range(n):
        k = start + i
        x, y, z, en = px[k], py[k], pz[k], e[k]
        jx[i], jy[i], jz[i], je[i] = x, y, z, en
        hp1[i] = INITIAL
        hp2[i] = INITIAL
        hdij[i] = 0.0
        hmax[i] = 0.0
        hjet[i] = i
        jet_hist[i] = i
        rap[i] = rap_of(x, y, z, en)
        phi[i] = phi_of(x, y)
        mom[i] = _momentum_factor(x, y, algo, p)


@nb.njit(cache=True)
def _record_merge(ja, jb, k, n_hist, W, I):
    """E-scheme: jet k = jet ja + jet jb, recorded as history entry n_hist (parents ordered as FastJet's).

    Element indexing of W and I, no row views: a view costs an atomic reference count in the hot loop."""
    for q in (JPX, JPY, JPZ, JE):
        W[q, k] = W[q, ja] + W[q, jb]
    hi, hj = I[JETHIST, ja], I[JETHIST, jb]
    I[HP1, n_hist] = min(hi, hj)
    I[HP2, n_hist] = max(hi, hj)
    I[HJET, n_hist] = k
    I[JETHIST, k] = n_hist


@nb.njit(cache=True)
def _record_beam(ja, n_hist, I):
    I[HP1, n_hist] = I[JETHIST, ja]
    I[HP2, n_hist] = BEAM
    I[HJET, n_hist] = -1


# error_model="numpy" on the kernels: no zero-division check and branch at every division (no divisor here can
# be zero: tile widths, R^2, clipped kt^2); with the reciprocal tile widths and TROW, 3-6 % at R = 1.0.
@nb.njit(cache=True, error_model="numpy")
def _cluster_plain(px, py, pz, e, start, n, algo, p, r, W, I):
    """Plain N^2 clustering of one event into the history rows of W and I.

    Slots are compact (0..tail-1): the merged jet takes the lower slot, the
    last slot moves into the freed one, as in FastJet's N2Plain.
    """
    r2 = r * r
    inv_r2 = 1.0 / r2
    _load(px, py, pz, e, start, n, algo, p, W, I)
    rap, phi, mom, nndist, dij = W[RAP], W[PHI], W[MOM], W[NNDIST], W[DIJ]
    jx, jy, jz, je, hdij, hmax = W[JPX], W[JPY], W[JPZ], W[JE], W[HDIJ], W[HMAX]
    nn, bj_jet = I[NN], I[SLOTJET]
    for i in range(n):
        nn[i] = -1
        nndist[i] = r2
        bj_jet[i] = i
    _range_pairs(rap, phi, nn, nndist, 0, n, 0, n)
    # pointers from here on (:func:`_ptr`): no reference counts, no index wraparound
    rap, phi, mom, nndist, dij = _ptr(W[RAP]), _ptr(W[PHI]), _ptr(W[MOM]), _ptr(W[NNDIST]), _ptr(W[DIJ])
    jx, jy, jz, je, hdij, hmax = _ptr(W[JPX]), _ptr(W[JPY]), _ptr(W[JPZ]), _ptr(W[JE]), _ptr(W[HDIJ]), _ptr(W[HMAX])
    nn, bj_jet = _ptr(I[NN]), _ptr(I[SLOTJET])
    for i in range(n):
        dij[i] = _dij_at(mom, nn, nndist, i)

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
        prev_max = hmax[n_hist - 1]
        if b >= 0:
            if a < b:
                a, b = b, a
            k = n_jets
            _record_merge(bj_jet[a], bj_jet[b], k, n_hist, W, I)
            n_jets += 1
            rap[b] = rap_of(jx[k], jy[k], jz[k], je[k])
            phi[b] = phi_of(jx[k], jy[k])
            mom[b] = _momentum_factor(jx[k], jy[k], algo, p)
            nn[b] = -1
            nndist[b] = r2
            bj_jet[b] = k
        else:
            _record_beam(bj_jet[a], n_hist, I)
        hdij[n_hist] = dmin
        hmax[n_hist] = max(dmin, prev_max)
        n_hist += 1

        tail -= 1
        rap[a], phi[a], mom[a] = rap[tail], phi[tail], mom[tail]
        nn[a], nndist[a], bj_jet[a], dij[a] = nn[tail], nndist[tail], bj_jet[tail], dij[tail]
        for i in range(tail):
            if nn[i] == a or (b >= 0 and nn[i] == b):
                best, best_j = r2, -1
                yi, phii = rap[i], phi[i]
                for j in range(tail):
                    if j == i:
                        continue
                    d = _dist(yi, phii, rap[j], phi[j])
                    if d < best:
                        best = d
                        best_j = j
                nndist[i] = best
                nn[i] = best_j
                dij[i] = _dij_at(mom, nn, nndist, i)
            if b >= 0 and i != b:
                d = _dist(rap[i], phi[i], rap[b], phi[b])
                if d < nndist[i]:
                    nndist[i] = d
                    nn[i] = b
                    dij[i] = _dij_at(mom, nn, nndist, i)
                if d < nndist[b]:
                    nndist[b] = d
                    nn[b] = i
            if nn[i] == tail:
                nn[i] = a
        if b >= 0:
            dij[b] = _dij_at(mom, nn, nndist, b)


# ---- tiles ------------------------------------------------------------------------------------------------

@nb.njit(cache=True)
def _tile_of(y, ph, ylo, inv_wy, ny, inv_wphi, nphi):
    """Tile index of a point, from the reciprocal tile widths (a division's latency sat on the merge's critical
    path).  Only this function assigns tiles, so the assignment is consistent; that a point near an edge may
    land one ulp outside its tile is covered by the reach (tiles >= R / tiles_per_r wide) and LAZY_MARGIN."""
    iy = int((y - ylo) * inv_wy) if y > ylo else 0
    if iy >= ny:
        iy = ny - 1
    ip = int(ph * inv_wphi)
    if ip >= nphi:
        ip = nphi - 1
    return iy * nphi + ip


@nb.njit(cache=True)
def _wrap(ip, nphi):
    """ip mod nphi for -nphi <= ip < 2 nphi, without an integer division (the hot loops' costliest op)."""
    if ip < 0:
        return ip + nphi
    if ip >= nphi:
        return ip - nphi
    return ip


# Two kinds of doubly linked lists share the rows' layout (head by owner; nxt / prv by member): the jets of each
# tile (HEAD, NXT, PRV) and each jet's followers (FHEAD, FNXT, FPRV).
@nb.njit(cache=True)
def _link(j, owner, head, nxt, prv):
    """Put j at the head of owner's list."""
    h = head[owner]
    prv[j] = -1
    nxt[j] = h
    if h >= 0:
        prv[h] = j
    head[owner] = j


@nb.njit(cache=True)
def _unlink(j, owner, head, nxt, prv):
    """Take j out of owner's list (j must be in it)."""
    if prv[j] >= 0:
        nxt[prv[j]] = nxt[j]
    else:
        head[owner] = nxt[j]
    if nxt[j] >= 0:
        prv[nxt[j]] = prv[j]


@nb.njit(cache=True)
def _tile_insert(slot, t, tile, head, nxt, prv):
    """Put a slot at the head of tile t's list."""
    tile[slot] = t
    _link(slot, t, head, nxt, prv)


@nb.njit(cache=True)
def _edges(s, rap, phi, tile, trow, ylo, wy, wphi, nphi):
    """(tile row, tile column, distance of s to its tile's lower/upper y and phi edges): the bounds of lazy tiling."""
    t = tile[s]
    iy = trow[t]
    ip = t - iy * nphi
    y, ph = rap[s], phi[s]
    return (iy, ip, max(0.0, y - (ylo + iy * wy)), max(0.0, ylo + (iy + 1) * wy - y),
            max(0.0, ph - ip * wphi), max(0.0, (ip + 1) * wphi - ph))


@nb.njit(cache=True)
def _bound(d, lo, hi, w):
    """Lower bound on the distance (one coordinate) to the tile d tiles away from the own tile."""
    if d == 0:
        return 0.0
    if d > 0:
        return hi + (d - 1) * w
    return lo + (-d - 1) * w


@nb.njit(cache=True)
def _centre_out(q):
    """0, 1, -1, 2, -2, ...: the q-th tile offset of a neighbourhood walked from its centre outwards."""
    h = (q + 1) >> 1
    return h if q & 1 else -h


@nb.njit(cache=True)
def _scan_nn(i, rap, phi, nn, nndist, tile, trow, head, nxt, ylo, wy, ny, wphi, nphi, reach, r2, lazy):
    """Nearest neighbour of jet i (geometric, < R^2) among the jets of the tiles within reach; lazily skips
    tiles whose nearest edge is farther than the best distance so far.  Own tile first, as it usually
    holds the neighbour and makes the bound tight."""
    best = r2
    best_j = -1
    yi, phii = rap[i], phi[i]
    t0 = tile[i]
    j = head[t0]
    while j >= 0:
        if j != i:
            d = _dist(yi, phii, rap[j], phi[j])
            if d < best:
                best = d
                best_j = j
        j = nxt[j]
    iy = trow[t0]
    ip = t0 - iy * nphi
    ylo_e = yhi_e = plo_e = phi_e = 0.0
    if lazy:
        iy, ip, ylo_e, yhi_e, plo_e, phi_e = _edges(i, rap, phi, tile, trow, ylo, wy, wphi, nphi)
    for dy in range(-reach, reach + 1):
        jy = iy + dy
        if jy < 0 or jy >= ny:
            continue
        by2 = 0.0
        if lazy:
            by = _bound(dy, ylo_e, yhi_e, wy)
            by2 = by * by
            if by2 * (1.0 - LAZY_MARGIN) >= best:
                continue
        for dp in range(-reach, reach + 1):
            if dy == 0 and dp == 0:
                continue
            if lazy:
                bp = _bound(dp, plo_e, phi_e, wphi)
                if (by2 + bp * bp) * (1.0 - LAZY_MARGIN) >= best:
                    continue
            j = head[jy * nphi + _wrap(ip + dp, nphi)]
            while j >= 0:
                d = _dist(yi, phii, rap[j], phi[j])
                if d < best:
                    best = d
                    best_j = j
                j = nxt[j]
    nndist[i] = best
    nn[i] = best_j


# The heap keeps each entry's key next to it (hkey[i]: the d_ij of slot heap[i]), so sifting compares
# consecutive memory instead of loading key[heap[c]] through the slot (a dependent load per level).
@nb.njit(cache=True)
def _sift_down(heap, hpos, hkey, size, i):
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and hkey[left + 1] < hkey[left]:
            child = left + 1
        if hkey[child] < hkey[i]:
            a, b = heap[i], heap[child]
            heap[i], heap[child] = b, a
            hpos[b], hpos[a] = i, child
            hkey[i], hkey[child] = hkey[child], hkey[i]
            i = child
        else:
            break


@nb.njit(cache=True)
def _heap_fix(heap, hpos, hkey, size, i):
    """Restore the min-heap order around heap position i after hkey[i] changed: the entry moves up or
    down through a hole (one write per level), no nested helpers (each would add reference counts)."""
    x = heap[i]
    kx = hkey[i]
    start = i
    while i > 0:
        parent = (i - 1) >> 1
        kp = hkey[parent]
        if kx < kp:
            y = heap[parent]
            heap[i] = y
            hkey[i] = kp
            hpos[y] = i
            i = parent
        else:
            break
    if i == start:
        while True:
            child = 2 * i + 1
            if child >= size:
                break
            kc = hkey[child]
            if child + 1 < size:
                # the smaller child without a branch (a mispredicted one per level measured ~20% of the loop at
                # N = 100); on a tie the left one, as before
                kr = hkey[child + 1]
                right = kr < kc
                child += right
                kc = kr if right else kc
            if kc < kx:
                y = heap[child]
                heap[i] = y
                hkey[i] = kc
                hpos[y] = i
                i = child
            else:
                break
    heap[i] = x
    hkey[i] = kx
    hpos[x] = i


@nb.njit(cache=True)
def _heap_set(heap, hpos, hkey, size, slot, key):
    """Slot's key is now key: store it at slot's heap position and restore the order."""
    i = hpos[slot]
    hkey[i] = key
    _heap_fix(heap, hpos, hkey, size, i)


@nb.njit(cache=True)
def _heap_remove(heap, hpos, hkey, size, slot):
    """Remove slot from a heap of the given size; returns the new size."""
    i = hpos[slot]
    last = size - 1
    if i != last:
        y = heap[last]
        k = hkey[i]
        heap[i] = y
        hkey[i] = hkey[last]
        hpos[y] = i
        heap[last] = slot
        hkey[last] = k
        hpos[slot] = last
        _heap_fix(heap, hpos, hkey, last, i)
    return last


@nb.njit(cache=True)
def _first_min(key, size):
    """Position of the first smallest of key[0..size), as a linear scan with ``<`` finds it (FastJet's
    first-minimum-wins).  By chunks of SCAN_CHUNK: a chunk's minimum by a tree of selects (no loop-carried
    dependency inside, no fastmath), the first chunk whose minimum beats the best so far, then the first
    position in it holding that value.  The one-element scan (FastJet's loop), a compare and select chained
    through every element, measured 1.06-1.08 x the heap on Pythia events, the chunks 0.91-0.94 x.
    key must hold +inf from size up to the next multiple of SCAN_CHUNK (the kernel keeps it so)."""
    m = math.inf
    c = 0
    for q in range(0, size, SCAN_CHUNK):
        x0, x1, x2, x3 = key[q], key[q + 1], key[q + 2], key[q + 3]
        x4, x5, x6, x7 = key[q + 4], key[q + 5], key[q + 6], key[q + 7]
        x0 = x0 if x0 < x4 else x4
        x1 = x1 if x1 < x5 else x5
        x2 = x2 if x2 < x6 else x6
        x3 = x3 if x3 < x7 else x7
        x0 = x0 if x0 < x2 else x2
        x1 = x1 if x1 < x3 else x3
        x0 = x0 if x0 < x1 else x1
        if x0 < m:
            m = x0
            c = q
    if m == math.inf:  # no finite key: the first, as the one-element scan (and never a pad)
        return 0
    while key[c] != m:
        c += 1
    return c


# The scanned queue of d_ij: a compact array (rows HEAP: position -> slot, HPOS: slot -> position, HKEY: the d_ij
# at a position) searched by :func:`_first_min`; removing an entry moves the last into its place and leaves +inf
# behind, which keeps the chunked scan's padding.
@nb.njit(cache=True)
def _scan_remove(heap, hpos, hkey, size, slot):
    i = hpos[slot]
    last = size - 1
    y = heap[last]
    heap[i] = y
    hkey[i] = hkey[last]
    hpos[y] = i
    hkey[last] = math.inf
    return last


@nb.njit(cache=True)
def _geometry(rap, n, r, tiles_per_r, dense):
    """Tile grid of one event: (ylo, wy, ny, wphi, nphi, reach, inv_wy, inv_wphi).

    Tiles are at least R / tiles_per_r wide (and MIN_TILE), so every neighbour
    closer than R lies within ``reach`` tiles in y and in phi; phi has at least
    2 reach + 1 tiles, so a neighbourhood never holds a tile twice.  ``dense``:
    in crowded events narrow the tiles further, to about TILE_OCCUPANCY
    particles each (at most MAX_TILES_PER_R per R), since there the distances
    that matter are far below R and lazy tiling skips most of a wide neighbourhood.
    The reciprocal widths (for :func:`_tile_of`) are computed here once, so the initial tiles
    (:func:`_load_by_tile`) and those of merged jets (:func:`_cluster_tiled`) agree by construction.
    """
    ylo, yhi = TILE_RAP_LIMIT, -TILE_RAP_LIMIT
    for i in range(n):
        y = rap[i]
        ylo = min(ylo, max(y, -TILE_RAP_LIMIT))
        yhi = max(yhi, min(y, TILE_RAP_LIMIT))
    span = max(yhi - ylo, 0.0)
    if dense:
        density = n / max(span * TWOPI, r * r)
        tiles_per_r = max(tiles_per_r, min(MAX_TILES_PER_R, int(r * math.sqrt(density / TILE_OCCUPANCY))))
    w = max(r / tiles_per_r, MIN_TILE)
    reach = max(1, int(math.ceil(r / w - 1e-9)))
    ny = max(1, int(span / w))
    wy = max(span / ny, w)
    nphi = max(2 * reach + 1, int(TWOPI / w))
    wphi = TWOPI / nphi
    return ylo, wy, ny, wphi, nphi, reach, 1.0 / wy, 1.0 / wphi


@nb.njit(cache=True, error_model="numpy")
def _range_pairs(rap, phi, nn, nndist, i0, i1, j0, j1):
    """Every pair i in [i0, i1), j in [j0, j1) with j > i, each updating both neighbours: all pairs of a
    tile when the ranges are equal, a tile with one stored above it (the lower range first), or, from
    0 to n, all pairs of an event.  i's best stays in registers (j never equals i)."""
    for i in range(i0, i1):
        yi, phii = rap[i], phi[i]
        best, best_j = nndist[i], nn[i]
        for j in range(max(j0, i + 1), j1):
            d = _dist(yi, phii, rap[j], phi[j])
            if d < best:
                best = d
                best_j = j
            if d < nndist[j]:
                nndist[j] = d
                nn[j] = i
        nndist[i] = best
        nn[i] = best_j


@nb.njit(cache=True)
def _row_pairs(rap, phi, nn, nndist, tile_start, i0, i1, row, c_lo, c_hi, nphi):
    """Pairs of the jets i0..i1-1 (one tile) with the tiles of columns c_lo..c_hi of a row (at most nphi,
    wrapping in phi): at most two runs of adjacent tiles, i.e. two index ranges."""
    base = row * nphi
    lo = c_lo + nphi if c_lo < 0 else c_lo
    hi = c_hi - nphi if c_hi >= nphi else c_hi
    if lo <= hi:
        runs = ((base + lo, base + hi), (0, -1))
    else:
        runs = ((base + lo, base + nphi - 1), (base, base + hi))
    for first, last in runs:
        if first > last:
            continue
        j0, j1 = tile_start[first], tile_start[last + 1]
        if j0 >= i1:
            _range_pairs(rap, phi, nn, nndist, i0, i1, j0, j1)
        else:
            _range_pairs(rap, phi, nn, nndist, j0, j1, i0, i1)


@nb.njit(cache=True, error_model="numpy")
def _initial_nn_pairs(rap, phi, nn, nndist, tile_start, n, ny, nphi, reach, r2):
    """Every jet's first nearest neighbour, each pair of nearby jets computed once: a tile with itself and
    with the tiles 'ahead' of it ((dy, dphi) > (0, 0)), which a phi ring of >= 2 reach + 1 tiles keeps
    distinct, so no pair is seen twice.  Slots are ordered by tile (:func:`_load_by_tile`), so a tile and a
    run of adjacent tiles are index ranges: no list to follow, consecutive memory."""
    rap, phi, nn, nndist, tile_start = _ptr(rap), _ptr(phi), _ptr(nn), _ptr(nndist), _ptr(tile_start)
    for i in range(n):
        nn[i] = -1
        nndist[i] = r2
    for t in range(ny * nphi):
        i0, i1 = tile_start[t], tile_start[t + 1]
        if i0 == i1:
            continue
        iy = t // nphi
        ip = t - iy * nphi
        _range_pairs(rap, phi, nn, nndist, i0, i1, i0, i1)
        _row_pairs(rap, phi, nn, nndist, tile_start, i0, i1, iy, ip + 1, ip + reach, nphi)
        for ty in range(iy + 1, min(iy + reach + 1, ny)):
            _row_pairs(rap, phi, nn, nndist, tile_start, i0, i1, ty, ip - reach, ip + reach, nphi)


@nb.njit(cache=True, error_model="numpy")
def _load_by_tile(px, py, pz, e, start, n, algo, p, r, tiles_per_r, W, I, TI):
    """As :func:`_load`, but slot s holds the particle at position s of a counting sort by tile, so every
    tile's jets start out adjacent in memory; returns the grid (:func:`_geometry`, with its reciprocal tile
    widths) and each tile's first slot (``tile_start``, n_tiles + 1 entries).  History entry i stays particle i."""
    y0, phi0, tile_of_particle, order = W[NNDIST], W[DIJ], I[HEAP], I[HPOS]  # scratch until the first scan
    for i in range(n):
        k = start + i
        y0[i] = rap_of(px[k], py[k], pz[k], e[k])
        phi0[i] = phi_of(px[k], py[k])
    ylo, wy, ny, wphi, nphi, reach, inv_wy, inv_wphi = _geometry(y0, n, r, tiles_per_r, tiles_per_r > 1)
    n_tiles = ny * nphi
    tile_start, fill = TI[TSTART], TI[TFILL]
    for t in range(n_tiles + 1):
        tile_start[t] = 0
    for i in range(n):
        t = _tile_of(y0[i], phi0[i], ylo, inv_wy, ny, inv_wphi, nphi)
        tile_of_particle[i] = t
        tile_start[t + 1] += 1
    for t in range(ny * nphi):
        tile_start[t + 1] += tile_start[t]
    for t in range(n_tiles):
        fill[t] = tile_start[t]
    for i in range(n):
        t = tile_of_particle[i]
        order[fill[t]] = i
        fill[t] += 1
    rap, phi, mom = W[RAP], W[PHI], W[MOM]
    jx, jy, jz, je = W[JPX], W[JPY], W[JPZ], W[JE]
    tile, jet_hist, hjet = I[TILE], I[JETHIST], I[HJET]
    for s in range(n):
        i = order[s]
        k = start + i
        jx[s], jy[s], jz[s], je[s] = px[k], py[k], pz[k], e[k]
        rap[s], phi[s] = y0[i], phi0[i]
        mom[s] = _momentum_factor(px[k], py[k], algo, p)
        tile[s] = tile_of_particle[i]
        jet_hist[s] = i
        hjet[i] = s
    for i in range(n):
        I[HP1, i] = INITIAL
        I[HP2, i] = INITIAL
        W[HDIJ, i] = 0.0
        W[HMAX, i] = 0.0
    return ylo, wy, ny, wphi, nphi, reach, inv_wy, inv_wphi, tile_start


# Not inlined (nor _load_by_tile): called once per event from three places in _cluster_event, so inlining
# copied the whole tiled loop three times and a cold numba cache took 164 s to compile instead of 71 s,
# for a difference in speed within 1-4 % (measured side by side); SLURM jobs compiling at once timed out.
@nb.njit(cache=True, error_model="numpy")
def _cluster_tiled(px, py, pz, e, start, n, algo, p, r, tiles_per_r, lazy, W, I, TI, TW):
    """Tiled clustering of one event (strategies tiled, lazy9, lazy25); same history as :func:`_cluster_plain`.

    Slots are jet indices (a merged jet gets a new slot); tiles are doubly
    linked lists of slots; a binary min-heap over slots (rows HEAP/HPOS)
    yields the smallest d in log N; its compiled copy _cluster_tiled_scan
    (TILED_SCAN: tiled and lazy9 below SCAN_MAX_N particles) scans a
    compact array of them instead (:func:`_first_min`).  ``tmax[t]`` bounds
    the neighbour distances of tile t's jets from above, which lets a lazy
    step skip whole tiles.

    After the set-up every work row is used through a pointer (:func:`_ptr`):
    no reference counts and no index wraparound in the loop.  Tile rows come
    from the block's scratch TI / TW (MAX_TILES), so an event allocates nothing.
    """
    # TILED_SCAN: a global, so a compile-time constant; branched on directly (not passed to the helpers), so
    # each copy compiles little of the other's queue: cold compile 73.9 s, 79.7 s with the flag passed to helpers
    r2 = r * r
    inv_r2 = 1.0 / r2
    ylo, wy, ny, wphi, nphi, reach, inv_wy, inv_wphi, tile_start = _load_by_tile(px, py, pz, e, start, n, algo, p,
                                                                                  r, tiles_per_r, W, I, TI)
    rap, phi, mom, nndist, dij = _ptr(W[RAP]), _ptr(W[PHI]), _ptr(W[MOM]), _ptr(W[NNDIST]), _ptr(W[DIJ])
    jx, jy, jz, je = _ptr(W[JPX]), _ptr(W[JPY]), _ptr(W[JPZ]), _ptr(W[JE])
    hdij, hmax = _ptr(W[HDIJ]), _ptr(W[HMAX])
    nn, tile, nxt, prv, heap, hpos = _ptr(I[NN]), _ptr(I[TILE]), _ptr(I[NXT]), _ptr(I[PRV]), _ptr(I[HEAP]), _ptr(I[HPOS])
    hkey = _ptr(W[HKEY])
    fhead, fnxt, fprv = _ptr(I[FHEAD]), _ptr(I[FNXT]), _ptr(I[FPRV])
    head, trow, tmax = _ptr(TI[HEAD]), _ptr(TI[TROW]), _ptr(TW[TMAX])
    n_tiles = ny * nphi
    for t in range(n_tiles):
        trow[t] = t // nphi  # an integer division per tile here, not per neighbourhood in the loop
        head[t] = -1
        tmax[t] = 0.0
    for i in range(n - 1, -1, -1):  # lists in increasing slot order: consecutive memory
        _tile_insert(i, tile[i], tile, head, nxt, prv)
    if lazy:
        for i in range(n):
            _scan_nn(i, rap, phi, nn, nndist, tile, trow, head, nxt, ylo, wy, ny, wphi, nphi, reach, r2, lazy)
    else:
        _initial_nn_pairs(W[RAP], W[PHI], I[NN], W[NNDIST], tile_start, n, ny, nphi, reach, r2)
    for i in range(n):
        fhead[i] = -1
    for i in range(n - 1, -1, -1):  # followers in increasing slot order
        if nn[i] >= 0:
            _link(i, nn[i], fhead, fnxt, fprv)
    for i in range(n):
        dij[i] = _dij_at(mom, nn, nndist, i)
        heap[i] = i
        hpos[i] = i
        hkey[i] = dij[i]
        if nndist[i] > tmax[tile[i]]:
            tmax[tile[i]] = nndist[i]
    if TILED_SCAN:
        for i in range(n, n + SCAN_CHUNK):
            hkey[i] = math.inf
    else:
        for q in range(n // 2 - 1, -1, -1):
            _sift_down(heap, hpos, hkey, n, q)

    n_active = n
    n_jets = n
    n_hist = n
    while n_active > 0:
        if TILED_SCAN:
            a = heap[_first_min(hkey, n_active)]
        else:
            a = heap[0]
        b = nn[a]
        dmin = dij[a] * inv_r2
        prev_max = hmax[n_hist - 1]
        _unlink(a, tile[a], head, nxt, prv)
        if TILED_SCAN:
            n_active = _scan_remove(heap, hpos, hkey, n_active, a)
        else:
            n_active = _heap_remove(heap, hpos, hkey, n_active, a)
        k = -1
        if b >= 0:
            _unlink(b, tile[b], head, nxt, prv)
            if TILED_SCAN:
                n_active = _scan_remove(heap, hpos, hkey, n_active, b)
            else:
                n_active = _heap_remove(heap, hpos, hkey, n_active, b)
            k = n_jets
            n_jets += 1
            _record_merge(a, b, k, n_hist, W, I)
            rap[k] = rap_of(jx[k], jy[k], jz[k], je[k])
            phi[k] = phi_of(jx[k], jy[k])
            mom[k] = _momentum_factor(jx[k], jy[k], algo, p)
            _tile_insert(k, _tile_of(rap[k], phi[k], ylo, inv_wy, ny, inv_wphi, nphi), tile, head, nxt, prv)
        else:
            _record_beam(a, n_hist, I)
        hdij[n_hist] = dmin
        hmax[n_hist] = max(dmin, prev_max)
        n_hist += 1

        # The jets that followed a or b (their nearest neighbour) look again: each jet's followers are a list,
        # so no tile is walked to find them (k is in its tile already, so they see k too).  Then one walk over
        # the tiles within reach of k: every jet checks whether k is now its nearest, and k finds its own.
        # Lazily, a tile is skipped when its nearest edge is farther from k than all of its jets' neighbour
        # distances (tmax) and than the best neighbour k has so far.  Tiles are walked from the centre out
        # (:func:`_centre_out`): k's own tile first makes that best tight before the others are tested.  In the
        # lower-left-first order k kept R^2 through most of its neighbourhood: anti-kT, R = 1.0, 1,000 particles
        # looked at 56 jets per step, centre out 46 (Pythia 35 -> 28, 3,000: 82 -> 59).  Before the follower
        # lists the tiles within reach of a and b were walked as well, testing every jet for nn == a or b.
        if nn[a] >= 0:
            _unlink(a, nn[a], fhead, fnxt, fprv)
        if b >= 0 and nn[b] >= 0:
            _unlink(b, nn[b], fhead, fnxt, fprv)
        if k >= 0:
            nn[k] = -1
            nndist[k] = r2
            fhead[k] = -1
        for s in (a, b):
            if s < 0:
                continue
            j = fhead[s]
            while j >= 0:
                j_next = fnxt[j]
                _scan_nn(j, rap, phi, nn, nndist, tile, trow, head, nxt, ylo, wy, ny, wphi, nphi, reach, r2, lazy)
                if nn[j] >= 0:
                    _link(j, nn[j], fhead, fnxt, fprv)
                dij[j] = _dij_at(mom, nn, nndist, j)
                if TILED_SCAN:
                    hkey[hpos[j]] = dij[j]
                else:
                    _heap_set(heap, hpos, hkey, n_active, j, dij[j])
                if nndist[j] > tmax[tile[j]]:
                    tmax[tile[j]] = nndist[j]
                j = j_next
        if k >= 0:
            iy = trow[tile[k]]
            ip = tile[k] - iy * nphi
            ylo_e = yhi_e = plo_e = phi_e = by = 0.0
            if lazy:
                iy, ip, ylo_e, yhi_e, plo_e, phi_e = _edges(k, rap, phi, tile, trow, ylo, wy, wphi, nphi)
            yk, phik = rap[k], phi[k]
            for qy in range(2 * reach + 1):
                dy = _centre_out(qy)
                ty = iy + dy
                if ty < 0 or ty >= ny:
                    continue
                if lazy:
                    by = _bound(dy, ylo_e, yhi_e, wy)
                for qp in range(2 * reach + 1):
                    dp = _centre_out(qp)
                    t = ty * nphi + _wrap(ip + dp, nphi)
                    if lazy:
                        bp = _bound(dp, plo_e, phi_e, wphi)
                        limit = tmax[t]
                        if nndist[k] > limit:
                            limit = nndist[k]
                        if (by * by + bp * bp) * (1.0 - LAZY_MARGIN) > limit:
                            continue
                    top = 0.0
                    j = head[t]
                    while j >= 0:
                        if j != k:
                            d = _dist(rap[j], phi[j], yk, phik)
                            if d < nndist[j]:
                                if nn[j] >= 0:
                                    _unlink(j, nn[j], fhead, fnxt, fprv)
                                nndist[j] = d
                                nn[j] = k
                                _link(j, k, fhead, fnxt, fprv)
                                dij[j] = _dij_at(mom, nn, nndist, j)
                                if TILED_SCAN:
                                    hkey[hpos[j]] = dij[j]
                                else:
                                    _heap_set(heap, hpos, hkey, n_active, j, dij[j])
                            if d < nndist[k]:
                                nndist[k] = d
                                nn[k] = j
                        if nndist[j] > top:
                            top = nndist[j]
                        j = nxt[j]
                    tmax[t] = top
            if nn[k] >= 0:
                _link(k, nn[k], fhead, fnxt, fprv)
        if k >= 0:
            dij[k] = _dij_at(mom, nn, nndist, k)
            heap[n_active] = k
            hpos[k] = n_active
            hkey[n_active] = dij[k]
            n_active += 1
            if not TILED_SCAN:
                _heap_fix(heap, hpos, hkey, n_active, n_active - 1)
            if nndist[k] > tmax[tile[k]]:
                tmax[tile[k]] = nndist[k]


def _with_globals(fn, name, **values):
    """A copy of the Python function fn named name, seeing the module-level constants in values instead of the
    module's: numba freezes globals into the compiled code, so the copy is a specialisation without a second
    source.  Its own name keeps numba's on-disk cache entries (file + qualified name) apart."""
    g = dict(fn.__globals__)
    g.update(values)
    f = pytypes.FunctionType(fn.__code__, g, name, fn.__defaults__, fn.__closure__)
    f.__qualname__ = name
    return f


# _cluster_tiled with the linear scan (TILED_SCAN) instead of the heap (tiled and lazy9 below SCAN_MAX_N).
_cluster_tiled_scan = nb.njit(cache=True, error_model="numpy")(
    _with_globals(_cluster_tiled.py_func, "_cluster_tiled_scan", TILED_SCAN=True))


# ---- reading jets from the history --------------------------------------------------------------------------

@nb.njit(cache=True)
def _roots(n, mode, ptmin2, njets, dcut, W, I):
    """Fill row ROOTS with the history indices of the final jets, as FastJet's inclusive_jets/exclusive_jets
    pick them; returns how many."""
    jx, jy, hmax = W[JPX], W[JPY], W[HMAX]
    hp1, hp2, hjet, roots = I[HP1], I[HP2], I[HJET], I[ROOTS]
    n_hist = 2 * n
    count = 0
    if mode == INCLUSIVE:
        for i in range(n_hist - 1, -1, -1):
            if hp2[i] == BEAM:
                k = hjet[hp1[i]]
                if jx[k] * jx[k] + jy[k] * jy[k] >= ptmin2:
                    roots[count] = hp1[i]
                    count += 1
        return count
    if mode == EXCLUSIVE_DCUT:
        i = n_hist - 1
        while i >= 0 and hmax[i] > dcut:
            i -= 1
        stop = i + 1
    else:
        stop = 2 * n - njets
        if njets > n:
            stop = n  # "up to": fewer particles than requested jets gives every particle
    if stop < n:
        stop = n
    for i in range(stop, n_hist):
        p1 = hp1[i]
        if p1 < stop:
            roots[count] = p1
            count += 1
        p2 = hp2[i]
        if 0 < p2 < stop:
            roots[count] = p2
            count += 1
    return count


@nb.njit(cache=True)
def _write_event(start, n, count, W, I, out, out_ncon, particle_jet):
    """Jets of one event, by decreasing pT (stable on ties: history order), at out[:, start:start+count];
    each particle's jet index in particle_jet."""
    jx, jy, jz, je = W[JPX], W[JPY], W[JPZ], W[JE]
    hp1, hp2, hjet, roots, label = I[HP1], I[HP2], I[HJET], I[ROOTS], I[LABEL]
    pt2 = np.empty(count)
    for c in range(count):
        k = hjet[roots[c]]
        pt2[c] = -(jx[k] * jx[k] + jy[k] * jy[k])
    order = np.argsort(pt2, kind="mergesort")
    for h in range(2 * n):
        label[h] = -1
    for rank in range(count):
        h = roots[order[rank]]
        label[h] = rank
        k = hjet[h]
        out[0, start + rank], out[1, start + rank] = jx[k], jy[k]
        out[2, start + rank], out[3, start + rank] = jz[k], je[k]
        out_ncon[start + rank] = 0
    # propagate jet labels from roots down to particles (children come after parents)
    for h in range(2 * n - 1, n - 1, -1):
        if hp2[h] >= 0 and label[h] >= 0:
            label[hp1[h]] = label[h]
            label[hp2[h]] = label[h]
    for i in range(n):
        particle_jet[start + i] = label[i]
        if label[i] >= 0:
            out_ncon[start + label[i]] += 1


@nb.njit(cache=True)
def _cluster_event(px, py, pz, e, start, n, d, job, W, I, TI, TW, out, out_ncon, particle_jet):
    """Cluster one event with definition d = (algo, p, R, strategy) and read job = (mode, ptmin, n_jets, dcut)."""
    algo, p, r, strategy = d
    mode, ptmin, njets, dcut = job
    if strategy == BEST:
        strategy = choose_strategy(n, r)
    if strategy == PLAIN:
        _cluster_plain(px, py, pz, e, start, n, algo, p, r, W, I)
    elif strategy == TILED and n < SCAN_MAX_N:
        _cluster_tiled_scan(px, py, pz, e, start, n, algo, p, r, 1, False, W, I, TI, TW)
    elif strategy == TILED:
        _cluster_tiled(px, py, pz, e, start, n, algo, p, r, 1, False, W, I, TI, TW)
    elif strategy == LAZY9 and n < SCAN_MAX_N:
        _cluster_tiled_scan(px, py, pz, e, start, n, algo, p, r, 1, True, W, I, TI, TW)
    elif strategy == LAZY9:
        _cluster_tiled(px, py, pz, e, start, n, algo, p, r, 1, True, W, I, TI, TW)
    else:
        _cluster_tiled(px, py, pz, e, start, n, algo, p, r, 2, True, W, I, TI, TW)
    count = _roots(n, mode, ptmin * ptmin, njets, dcut, W, I)
    _write_event(start, n, count, W, I, out, out_ncon, particle_jet)
    return count


@nb.njit(cache=True)
def _cluster_block(px, py, pz, e, offsets, d, job, blk, n_blocks, out, out_ncon, particle_jet, counts):
    """Events blk, blk + n_blocks, ... with one set of work arrays; event ev's jets go to its particles'
    offset in ``out`` (it has no more jets than particles), their number to counts[ev]."""
    n_events = offsets.shape[0] - 1
    max_n = 0
    for ev in range(blk, n_events, n_blocks):
        max_n = max(max_n, offsets[ev + 1] - offsets[ev])
    size = 2 * max_n + SCAN_CHUNK  # + the +inf padding of the scanned d_ij (row HKEY)
    W = np.empty((N_FLOAT_ROWS, size))
    # int32 index rows: half the cache footprint of int64 (the loop's rows outgrow L1 from a few hundred jets)
    I = np.empty((N_INT_ROWS, size), np.int32)
    TI = np.empty((N_TILE_INT_ROWS, MAX_TILES + 1), np.int32)
    TW = np.empty((N_TILE_FLOAT_ROWS, MAX_TILES + 1))
    for ev in range(blk, n_events, n_blocks):
        start = offsets[ev]
        n = offsets[ev + 1] - start
        if n > 0:
            counts[ev] = _cluster_event(px, py, pz, e, start, n, d, job, W, I, TI, TW, out, out_ncon, particle_jet)


@nb.njit(cache=True)
def _pack(offsets, out, out_ncon, counts):
    """Jets of every event, moved from their particles' offsets into CSR."""
    n_events = offsets.shape[0] - 1
    out_offsets = np.zeros(n_events + 1, np.int64)
    for ev in range(n_events):
        out_offsets[ev + 1] = out_offsets[ev] + counts[ev]
    n_out = out_offsets[-1]
    packed = np.empty((4, n_out))
    ncon = np.empty(n_out, np.int64)
    for ev in range(n_events):
        src, dst = offsets[ev], out_offsets[ev]
        for c in range(counts[ev]):
            for q in range(4):
                packed[q, dst + c] = out[q, src + c]
            ncon[dst + c] = out_ncon[src + c]
    return packed, ncon, out_offsets


@nb.njit(cache=True, nogil=True)
def _cluster_events(px, py, pz, e, offsets, d, job, blk, n_blocks, out, out_ncon, particle_jet, counts):
    """The one compiled entry point: events blk, blk + n_blocks, ... (all of them for 0, 1).

    Why one serial kernel on Python threads rather than numba's ``parallel=True``: a ``prange`` kernel is a
    second compilation of the whole call tree (33 s of the 65 s that ``jets_kernels`` took on a fresh
    installation) and runs on numba's threading layer, sized by NUMBA_NUM_THREADS.  Released from the GIL
    (``nogil``), this kernel runs on plain threads, each on its own blocks, which write disjoint slices of
    the outputs; one thread calls it directly, with no threading at all in a single-thread timing."""
    _cluster_block(px, py, pz, e, offsets, d, job, blk, n_blocks, out, out_ncon, particle_jet, counts)


def cluster(events: Events, definition: JetDefinition, ptmin: float = 0.0, n_jets: int | None = None,
            dcut: float | None = None, threads: int = 1) -> Jets:
    """Cluster every event; inclusive jets above ``ptmin``, or exclusive ones (``n_jets`` or ``dcut``).

    ``dcut`` is in FastJet's units: the d_ij of the chosen algorithm (GeV^2 for kT).
    ``threads``: events are clustered in parallel on this many threads (the
    jets do not depend on it).  Errors name these arguments.
    """
    if n_jets is not None and dcut is not None:
        raise JetArgumentError("n_jets", "give either n_jets or dcut, not both")
    if not ptmin >= 0:
        raise JetArgumentError("ptmin", f"must be >= 0, got {ptmin}")
    if threads < 1:
        raise JetArgumentError("threads", f"must be >= 1, got {threads}")
    mode, nj, dc = INCLUSIVE, 0, 0.0
    if n_jets is not None:
        if n_jets < 0:
            raise JetArgumentError("n_jets", f"must be >= 0, got {n_jets}")
        mode, nj = EXCLUSIVE_NJETS, int(n_jets)
    elif dcut is not None:
        mode, dc = EXCLUSIVE_DCUT, float(dcut)
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in events.four_momenta()]
    off = np.ascontiguousarray(events.offsets, dtype=np.int64)
    n_events = off.size - 1
    d = (definition.code, definition.p, definition.R, definition.strategy_code)
    job = (mode, float(ptmin), nj, dc)
    n_total = int(off[-1])
    out, out_ncon = np.empty((4, n_total)), np.empty(n_total, np.int64)
    particle_jet, counts = np.empty(n_total, np.int64), np.zeros(n_events, np.int64)
    if threads == 1 or n_events < 2:
        _cluster_events(*arrays, off, d, job, 0, 1, out, out_ncon, particle_jet, counts)
    else:
        # interleaved events in 8 blocks per thread, so the blocks cost about the same and none is left last
        n_blocks = min(n_events, 8 * int(threads))
        with ThreadPoolExecutor(max_workers=int(threads)) as pool:
            list(pool.map(lambda blk: _cluster_events(*arrays, off, d, job, blk, n_blocks, out, out_ncon,
                                                      particle_jet, counts), range(n_blocks)))
    packed, ncon, out_offsets = _pack(off, out, out_ncon, counts)
    return Jets(packed[0], packed[1], packed[2], packed[3], ncon, out_offsets, particle_jet)


def compile_kernels() -> dict[str, list[str]]:
    """Compile the kernel :func:`cluster` runs (on one thread or several), or load it from numba's cache;
    returns its compiled signatures.

    Why a step of its own: numba compiles on first call and caches beside the source, so on a fresh
    installation every clustering job that starts before the cache exists compiles the same code (32 s on an
    idle core; two jobs side by side took 28 s and 24 s, and SLURM jobs compiling at once have timed out).  Run
    once before them, it leaves them the cache.  A call compiles everything reachable from it, whatever the
    algorithm and strategy (both are run-time values), so one small event is enough.
    """
    from hepclust.jets.benchmark import synthetic_events  # here: benchmark imports this module

    cluster(synthetic_events(64, 2, seed=0), JetDefinition("antikt", 0.4))
    return {"kernel": [str(sig) for sig in _cluster_events.signatures]}
