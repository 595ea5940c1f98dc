"""Rule jets_cluster: our generalised-kT on one chunk of events."""
from hepclust.jets.study import cluster_chunk
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    w = snakemake.wildcards
    cluster_chunk(snakemake.input.events, snakemake.output[0], w.algorithm, float(w.R), snakemake.params.ptmin,
                  snakemake.params.p)
