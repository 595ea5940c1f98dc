"""Rule classical_grid: datasets x methods comparison figure."""
from hepclust.classical.data import read_dataset
from hepclust.classical.study import read_result
from hepclust.plotting.classical import comparison_grid
from hepclust.plotting.common import save_figure
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    p = snakemake.params
    datasets = {d: read_dataset(snakemake.input[f"{d}"]) for d in p.datasets}
    results = {d: {m: read_result(snakemake.input[f"{d}/{m}"]) for m in p.methods} for d in p.datasets}
    save_figure(comparison_grid(datasets, results, p.methods), snakemake.output[0])
