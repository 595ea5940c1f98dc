"""Rule contrastive_embed: encoder features, latent and cluster head of the held-out and training images
(every ensemble member's, side by side)."""
from hepclust.contrastive.study import run_embedding
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    i, p, r = snakemake.input, snakemake.params, snakemake.resources
    run_embedding(list(i.models), i.train_images, i.images, snakemake.output[0], p.device, snakemake.threads,
                  r.loader_workers, p.views, p.seed, r.loader_cache_mb)
