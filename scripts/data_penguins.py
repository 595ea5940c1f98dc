"""Rule data_penguins: Palmer penguins features with species as hidden truth."""
from hepclust.classical.data import write_penguins_dataset
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    write_penguins_dataset(snakemake.output[0], snakemake.params.features, snakemake.params.standardize)
    log.info("wrote %s", snakemake.output[0])
