"""Rule contrastive_embed: latent vectors and cluster probabilities of the held-out images."""
from hepclust.contrastive.study import run_embedding
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    run_embedding(snakemake.input.model, snakemake.input.images, snakemake.output[0], snakemake.params.device,
                  snakemake.threads, snakemake.params.workers)
