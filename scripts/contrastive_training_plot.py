"""Rule contrastive_training_plot: loss terms and cluster-size entropy per epoch."""
import pandas as pd

from hepclust.plotting.common import save_figure
from hepclust.plotting.contrastive import training_curves
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    save_figure(training_curves(pd.read_csv(snakemake.input[0])), snakemake.output[0])
