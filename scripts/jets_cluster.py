"""Rule jets_cluster: our generalised-kT on one chunk of events, every configured jet definition."""
from hepclust.jets.study import cluster_chunk
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    cluster_chunk(snakemake.input.events, list(snakemake.output), snakemake.params.definitions,
                  snakemake.params.ptmin)
