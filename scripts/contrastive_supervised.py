"""Rule contrastive_supervised: the same encoder trained with labels -- the ceiling the clusterer is read against."""
from hepclust.contrastive.study import run_supervised
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    run_supervised(i.train_images, i.images, snakemake.output[0], p.train, p.reference,
                   f"contrastive.train.{snakemake.wildcards.imageset}", p.device, snakemake.threads, p.seed)
