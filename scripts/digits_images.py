"""Rule digits_images: scikit-learn's digits as images for the external benchmark."""
from hepclust.lartpc.study import digits_to_file
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    digits_to_file(snakemake.output[0], snakemake.params.size, snakemake.params.n_samples)
