"""Jet-by-jet comparison of our jets with FastJet's."""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from hepclust.jets.events import Jets
from hepclust.jets.kinematics import rap_phi_pt

PT_RTOL = 1e-7
Y_ATOL = 1e-7
PHI_ATOL = 1e-7


@dataclass
class Comparison:
    n_events: int
    n_events_differ: int
    n_jets: int
    max_rel_pt_diff: float
    max_abs_y_diff: float
    max_abs_phi_diff: float
    first_differing_event: int  # -1 when all agree


def compare(ours: Jets, reference: ak.Array) -> Comparison:
    """Count events whose jets differ: jet count, then pT (relative), y and phi (absolute), pT-ordered.

    phi is compared as FastJet reports it, in [0, 2 pi), so a jet at the wrap
    point that we put at 2 pi - epsilon and FastJet at 0 would count as a
    difference, as it should.
    """
    n_ref = ak.to_numpy(ak.num(reference, axis=1))
    n_ours = np.diff(ours.offsets)
    ref_flat = [ak.to_numpy(ak.flatten(reference[c])).astype(np.float64) for c in ("px", "py", "pz", "E")]
    ref_off = np.concatenate([[0], np.cumsum(n_ref)])
    ry, rphi, rpt = rap_phi_pt(*ref_flat)
    oy, ophi, opt = rap_phi_pt(ours.px, ours.py, ours.pz, ours.e)
    differ, first = 0, -1
    max_pt = max_y = max_phi = 0.0
    for ev in range(n_ours.size):
        bad = n_ref[ev] != n_ours[ev]
        if not bad and n_ref[ev]:
            rs = slice(ref_off[ev], ref_off[ev + 1])
            order = np.argsort(-rpt[rs], kind="stable")
            os_ = slice(ours.offsets[ev], ours.offsets[ev + 1])
            dpt = np.abs(opt[os_] - rpt[rs][order]) / np.maximum(rpt[rs][order], 1e-300)
            dy = np.abs(oy[os_] - ry[rs][order])
            dphi = np.abs(ophi[os_] - rphi[rs][order])
            max_pt, max_y, max_phi = max(max_pt, dpt.max()), max(max_y, dy.max()), max(max_phi, dphi.max())
            bad = bool((dpt > PT_RTOL).any() or (dy > Y_ATOL).any() or (dphi > PHI_ATOL).any())
        if bad:
            differ += 1
            first = ev if first < 0 else first
    return Comparison(int(n_ours.size), differ, int(n_ours.sum()), float(max_pt), float(max_y), float(max_phi), first)
