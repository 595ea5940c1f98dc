"""Rule classical_grid: datasets x methods comparison figure."""
from hepclust.classical_study import read_dataset, read_result
from hepclust.plotting.classical import comparison_grid
from hepclust.plotting.common import save_figure
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    p = snakemake.params
    datasets = {d: read_dataset(path) for d, path in zip(p.datasets, snakemake.input.datasets)}
    paths = iter(snakemake.input.results)  # expand() order: dataset-major, then method
    results = {d: {m: read_result(next(paths)) for m in p.methods} for d in p.datasets}
    save_figure(comparison_grid(datasets, results, p.methods), snakemake.output[0])
