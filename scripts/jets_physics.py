"""Rule jets_physics: jet multiplicity, pT and mass per process."""
from hepclust.jets.events import concat, read_jets
from hepclust.plotting.common import save_figure
from hepclust.plotting.jets import physics_panels
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    # input: process -> its chunks' jets files
    by_process = {process: concat([read_jets(path)[0] for path in paths])
                  for process, paths in snakemake.input.items()}
    save_figure(physics_panels(by_process, snakemake.params.label), snakemake.output[0])
