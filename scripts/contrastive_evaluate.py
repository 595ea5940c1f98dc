"""Rule contrastive_evaluate: the clusterer, its ceilings and baselines vs truth; head choice, contingency, gallery."""
from hepclust.contrastive.study import evaluate, write_tables
from hepclust.plotting.common import save_figure
from hepclust.plotting.contrastive import contingency, gallery
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p, out = snakemake.params, snakemake.output
    i = snakemake.input
    res = evaluate(i.embedding, i.scan, i.supervised, i.baselines, i.images, p.seed, p.folds)
    write_tables(out.metrics, out.per_cluster, out.heads, res)
    save_figure(contingency(res["labels"], res["cluster"], res["class_names"]), out.contingency)
    save_figure(gallery(res["images"], res["cluster"], res["labels"], res["class_names"], p.per_cluster, p.seed),
                out.gallery)
    log.info("\n%s", res["metrics"].to_string())
