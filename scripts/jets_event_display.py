"""Rule jets_event_display: one event clustered by each algorithm, in the y-phi plane."""
from hepclust.jets.events import read_events, read_jets
from hepclust.plotting.common import save_figure
from hepclust.plotting.jets import event_displays
from hepclust.rulelog import logged

with logged(snakemake.log[0]):
    p = snakemake.params
    ev = read_events(snakemake.input.events)
    s = slice(ev.offsets[p.event], ev.offsets[p.event + 1])
    # input: 'events', then algorithm -> its jets file
    labels = {alg: read_jets(path)[0].particle_jet[s] for alg, path in snakemake.input.items() if alg != "events"}
    fig = event_displays(ev.px[s], ev.py[s], ev.pz[s], ev.e[s], ev.pid[s], labels, p.R,
                         f"{snakemake.input.events}, event {p.event}")
    save_figure(fig, snakemake.output[0])
