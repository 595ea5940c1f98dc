"""Rapidity, azimuth and transverse momentum exactly as FastJet's PseudoJet computes them.

Bit-for-bit agreement with FastJet needs the same formulas, not merely
equivalent ones: rapidity from log((kt^2 + m^2) / (E + |pz|)^2) with the mass
clipped at zero, phi in [0, 2 pi), and a huge but finite rapidity for
particles along the beam.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

TWOPI = 2.0 * math.pi
MAX_RAP = 1.0e5  # FastJet's MaxRap


@nb.njit(cache=True)
def phi_of(px: float, py: float) -> float:
    kt2 = px * px + py * py
    phi = 0.0 if kt2 == 0.0 else math.atan2(py, px)
    if phi < 0.0:
        phi += TWOPI
    if phi >= TWOPI:
        phi -= TWOPI
    return phi


@nb.njit(cache=True)
def rap_of(px: float, py: float, pz: float, e: float) -> float:
    kt2 = px * px + py * py
    if e == abs(pz) and kt2 == 0.0:
        max_rap_here = MAX_RAP + abs(pz)
        return max_rap_here if pz >= 0.0 else -max_rap_here
    m2 = (e + pz) * (e - pz) - kt2
    effective_m2 = max(0.0, m2)
    e_plus_pz = e + abs(pz)
    rap = 0.5 * math.log((kt2 + effective_m2) / (e_plus_pz * e_plus_pz))
    return -rap if pz > 0.0 else rap


@nb.njit(cache=True)
def rap_phi_pt(px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray):
    """Vectorised (rapidity, phi, pT) for arrays of four-momenta."""
    n = px.shape[0]
    rap = np.empty(n)
    phi = np.empty(n)
    pt = np.empty(n)
    for i in range(n):
        rap[i] = rap_of(px[i], py[i], pz[i], e[i])
        phi[i] = phi_of(px[i], py[i])
        pt[i] = math.sqrt(px[i] * px[i] + py[i] * py[i])
    return rap, phi, pt


def mass(px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Invariant mass, with FastJet's sign convention for (rounding-error) tachyons: -sqrt(-m^2)."""
    m2 = (e + pz) * (e - pz) - (px * px + py * py)
    return np.where(m2 < 0, -np.sqrt(np.abs(m2)), np.sqrt(np.abs(m2)))
