"""Figures, one module per figure family.  Non-interactive backend, atomic saves."""
