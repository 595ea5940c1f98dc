"""SimCLR + Contrastive Clustering (Li et al. 2021, arXiv:2009.09687) for detector images."""
