"""The reference: scikit-hep ``fastjet`` (the C++ FastJet 3.5 behind its awkward interface).

The multi-event awkward interface runs the event loop in C++, so timing it
measures FastJet, not Python overhead: that is the fair comparison for our
compiled loop.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from hepclust.jets.cluster import ANTIKT, CAMBRIDGE, GENKT, KT, resolve_algorithm


def jet_definition(algorithm: str, r: float, p: float | None):
    import fastjet

    code, expo = resolve_algorithm(algorithm, p)
    fj_alg = {KT: fastjet.kt_algorithm, CAMBRIDGE: fastjet.cambridge_algorithm, ANTIKT: fastjet.antikt_algorithm}
    if code == GENKT:
        return fastjet.JetDefinition(fastjet.genkt_algorithm, r, expo)
    return fastjet.JetDefinition(fj_alg[code], r)


def events_to_awkward(px, py, pz, e, offsets) -> ak.Array:
    """CSR arrays -> jagged awkward records (px, py, pz, E) per event, without copying per particle."""
    content = ak.zip({"px": px, "py": py, "pz": pz, "E": e})
    return ak.unflatten(content, np.diff(offsets))


def fastjet_inclusive(px, py, pz, e, offsets, algorithm: str, r: float, p: float | None = None,
                      ptmin: float = 0.0) -> ak.Array:
    """Inclusive jets of every event from FastJet (default strategy), as jagged (px, py, pz, E)."""
    import fastjet

    cs = fastjet.ClusterSequence(events_to_awkward(px, py, pz, e, offsets), jet_definition(algorithm, r, p))
    return cs.inclusive_jets(ptmin)


def fastjet_exclusive(px, py, pz, e, offsets, algorithm: str, r: float, n_jets: int | None = None,
                      dcut: float | None = None, p: float | None = None) -> ak.Array:
    import fastjet

    cs = fastjet.ClusterSequence(events_to_awkward(px, py, pz, e, offsets), jet_definition(algorithm, r, p))
    return cs.exclusive_jets(n_jets=n_jets) if n_jets is not None else cs.exclusive_jets(dcut=dcut)
