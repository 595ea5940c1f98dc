"""Rule contrastive_retrain: one seed's retrained clusterer (its members trained by contrastive_retrain_member)
scored, one augmentation off."""
from hepclust.contrastive.study import score_retrained
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    i, p, w, r = snakemake.input, snakemake.params, snakemake.wildcards, snakemake.resources
    score_retrained(w.imageset, list(i.models), list(i.histories), i.train_images, i.images, snakemake.output[0],
                    p.scan, p.baseline, int(w.seed), p.device, snakemake.threads, r.loader_workers,
                    p.extra_baselines, p.folds, augmentation_off=w.variant, cache_mb=r.loader_cache_mb)
