"""Rule classical_fit: one clustering method on one dataset."""
from hepclust.classical.study import run_method
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    entry = {"estimator": p.estimator, "params": p.params}
    run_method(snakemake.input[0], snakemake.output[0], snakemake.wildcards.method, entry, p.seed,
               p.n_repeats, p.n_grid)
    log.info("fitted %s on %s", snakemake.wildcards.method, snakemake.wildcards.dataset)
