"""Rule contrastive_training_plot: loss terms and cluster-size entropy per epoch, of every ensemble member."""
import pandas as pd

from hepclust.plotting.common import save_figure
from hepclust.plotting.contrastive import training_curves
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    histories = [pd.read_csv(path).assign(member=m) for m, path in enumerate(snakemake.input.histories)]
    save_figure(training_curves(pd.concat(histories, ignore_index=True)), snakemake.output[0])
