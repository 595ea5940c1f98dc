"""The classical clustering study: estimator registry, dataset files, the rules' study functions."""
