"""Input data sets for the classical clustering study."""
