"""Rule classical_fit: one clustering method on one dataset."""
from hepclust.classical.study import run_method
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    run_method(snakemake.input[0], snakemake.output[0], snakemake.wildcards.method, p.estimator, p.params,
               p.seed, p.n_repeats, p.n_grid)
    log.info("fitted %s on %s", snakemake.wildcards.method, snakemake.wildcards.dataset)
