"""Rule contrastive_embedding_plot: t-SNE (openTSNE) and UMAP of the latent space."""
from hepclust.contrastive.study import embeddings_2d
from hepclust.plotting.common import save_figure
from hepclust.plotting.contrastive import embedding_scatter
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    p = snakemake.params
    e = embeddings_2d(snakemake.input.embedding, snakemake.input.scan, p.perplexity, p.umap_neighbors, p.seed)
    fig = embedding_scatter({"t-SNE": e["tsne"], "UMAP": e["umap"]}, e["labels"], e["cluster"], e["class_names"])
    save_figure(fig, snakemake.output[0])
