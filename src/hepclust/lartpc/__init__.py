"""Toy liquid-argon TPC: pixel images of cosmic-ray events with a truth class per event."""
