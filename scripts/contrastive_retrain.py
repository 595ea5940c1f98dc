"""Rule contrastive_retrain: the whole clusterer trained and scored on one seed, one augmentation off."""
from hepclust.contrastive.study import stability_run
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    i, p, w, r = snakemake.input, snakemake.params, snakemake.wildcards, snakemake.resources
    stability_run(w.imageset, i.train_images, i.images, snakemake.output[0], p.checkpoint, p.train, p.scan,
                  p.baseline, int(w.seed), p.device, snakemake.threads, r.loader_workers, p.extra_baselines,
                  p.folds, augmentation_off=w.variant, cache_mb=r.loader_cache_mb,
                  members=p.members)
