"""Jet finding: Pythia 8 event generation, our numba generalised-kT, the FastJet reference.

Events are stored CSR: flat particle arrays (px, py, pz, E, pid) plus per-event
offsets, so a whole chunk of events is a handful of contiguous arrays that a
numba loop can walk without any Python object per particle.
"""
