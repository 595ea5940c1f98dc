"""Rule digits_images: scikit-learn's digits as a one-shard image set for the external benchmark."""
from hepclust.images.digits import digits_to_file
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    digits_to_file(snakemake.output.shard, snakemake.output.manifest, snakemake.params.size,
                   snakemake.params.n_samples)
