"""Rule contrastive_train: SimCLR + Contrastive Clustering on 1 or N ranks, resuming from the last checkpoint."""
from hepclust.contrastive.study import run_training
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    p, r = snakemake.params, snakemake.resources
    run_training(snakemake.input[0], snakemake.output.model, snakemake.output.history, p.checkpoint, p.train,
                 f"contrastive.train.{snakemake.wildcards.imageset}", p.device, snakemake.threads, p.distributed,
                 r.loader_workers, r.loader_cache_mb)
