"""Rule jets_physics: jet multiplicity, pT and mass per process."""
import numpy as np

from hepclust.jets.cluster import Jets
from hepclust.jets.study import read_jets
from hepclust.plotting.common import save_figure
from hepclust.plotting.jets import physics_panels
from hepclust.rulelog import logged


def concat(jets_list):
    offsets = [0]
    for j in jets_list:
        offsets.extend(offsets[-1] + j.offsets[1:])
    cols = {c: np.concatenate([getattr(j, c) for j in jets_list]) for c in
            ("px", "py", "pz", "e", "n_constituents", "particle_jet")}
    return Jets(offsets=np.asarray(offsets), **cols)


with logged(snakemake.log[0]):
    p = snakemake.params
    paths = iter(snakemake.input)
    by_process = {pr: concat([read_jets(next(paths))[0] for _ in p.chunks]) for pr in p.processes}
    save_figure(physics_panels(by_process, p.label), snakemake.output[0])
