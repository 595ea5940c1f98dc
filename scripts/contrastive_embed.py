"""Rule contrastive_embed: encoder features, latent and cluster head of the held-out and training images."""
from hepclust.contrastive.study import run_embedding
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    run_embedding(i.model, i.train_images, i.images, snakemake.output[0], p.device, snakemake.threads, p.workers,
                  p.views, p.seed, p.cache_mb)
