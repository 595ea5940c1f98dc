"""Rule penguins_embedding: t-SNE and UMAP of the penguins with all four features."""
from hepclust.classical.study import penguins_all_features_embedding
from hepclust.plotting.common import save_figure
from hepclust.plotting.contrastive import embedding_scatter
from hepclust.rulelog import logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    e = penguins_all_features_embedding(p.clusterer, p.perplexity, p.umap_neighbors, p.seed)
    save_figure(embedding_scatter(e["coords"], e["labels"], e["cluster"], e["class_names"]), snakemake.output[0])
    log.info("%s on four features: ARI %.3f", p.clusterer["estimator"], e["ari"])
