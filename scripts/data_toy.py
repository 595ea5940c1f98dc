"""Rule data_toy: draw the Gaussian-mixture toy data set."""
from hepclust.classical.data import write_toy_dataset
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    write_toy_dataset(snakemake.output[0], snakemake.params.components, snakemake.params.seed)
    log.info("wrote %s", snakemake.output[0])
