"""Rule contrastive_baselines: the label-free pixel baselines' clusters of an image set's held-out images."""
from hepclust.contrastive.study import run_baselines
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    run_baselines(snakemake.input[0], snakemake.output[0], p.n_clusters, p.baseline, p.seed, p.extra_baselines)
    log.info("pixel baselines of %s written to %s", snakemake.input[0], snakemake.output[0])
