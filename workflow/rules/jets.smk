# Jet finding on Pythia 8 events: our numba generalised-kT, validated against FastJet.


rule jets_generate:
    output:
        "results/jets/events/{process}_{chunk}.h5",
    log:
        "logs/jets/generate/{process}_{chunk}.log",
    benchmark:
        "benchmarks/jets/generate/{process}_{chunk}.tsv"
    conda:
        "../../envs/jets.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        settings=lambda w: JETS["processes"][w.process],
        n_events=JETS["events_per_chunk"],
        seed=JETS["seed"],
        ecm=JETS["ecm"],
        noise=canonical(JETS["noise"]),
    script:
        "../../scripts/jets_generate.py"


rule jets_cluster:
    input:
        "results/jets/events/{process}_{chunk}.h5",
    output:
        "results/jets/{process}/{algorithm}_R{R}_{chunk}.h5",
    log:
        "logs/jets/cluster/{process}/{algorithm}_R{R}_{chunk}.log",
    conda:
        "../../envs/jets.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        ptmin=JETS["ptmin"],
        p=lambda w: JETS["genkt_p"] if w.algorithm == "genkt" else None,
    script:
        "../../scripts/jets_cluster.py"


rule jets_validate:
    input:
        events=expand(
            "results/jets/events/{process}_{chunk}.h5", process=PROCESSES, chunk=CHUNKS
        ),
        jets=all_jet_files(),
    output:
        detail="results/jets/validation_by_file.csv",
        summary=report(
            "results/jets/validation.csv",
            caption="../report/jets_validation.rst",
            category="3 jets",
            labels={"table": "validation vs FastJet"},
        ),
    log:
        "logs/jets/validate.log",
    conda:
        "../../envs/jets.yaml"
    params:
        processes=PROCESSES,
        chunks=CHUNKS,
        n_per_events=len(ALGORITHMS) * len(RADII),
        p=JETS["genkt_p"],
    script:
        "../../scripts/jets_validate.py"


rule jets_benchmark:
    input:
        expand(
            "results/jets/events/{process}_{chunk}.h5", process=PROCESSES, chunk=CHUNKS
        ),
    output:
        table=report(
            "results/jets/benchmark.csv",
            caption="../report/jets_benchmark.rst",
            category="6 performance",
            labels={"table": "jet clustering timing"},
        ),
        figure=report(
            "results/jets/benchmark.png",
            caption="../report/jets_benchmark.rst",
            category="6 performance",
            labels={"figure": "jet clustering timing"},
        ),
    log:
        "logs/jets/benchmark.log",
    benchmark:
        "benchmarks/jets/benchmark.tsv"
    conda:
        "../../envs/jets.yaml"
    threads: 1
    params:
        **JETS["benchmark"],
        processes=PROCESSES,
        chunks=CHUNKS,
        seed=JETS["seed"],
    script:
        "../../scripts/jets_benchmark.py"


rule jets_physics:
    input:
        lambda w: [
            jets_file(
                p, JETS["physics_plot"]["algorithm"], JETS["physics_plot"]["R"], c
            )
            for p in PROCESSES
            for c in CHUNKS
        ],
    output:
        report(
            "results/jets/physics.png",
            caption="../report/jets_physics.rst",
            category="3 jets",
            labels={"figure": "jet kinematics"},
        ),
    log:
        "logs/jets/physics.log",
    conda:
        "../../envs/jets.yaml"
    params:
        processes=PROCESSES,
        chunks=CHUNKS,
        label=lambda w: "{algorithm}, R = {R}".format(**JETS["physics_plot"]),
    script:
        "../../scripts/jets_physics.py"


rule jets_event_display:
    input:
        events="results/jets/events/{}_0.h5".format(JETS["display"]["process"]),
        jets=[
            jets_file(JETS["display"]["process"], a, JETS["display"]["R"], 0)
            for a in ALGORITHMS
        ],
    output:
        report(
            "results/jets/event_display.png",
            caption="../report/jets_event_display.rst",
            category="3 jets",
            labels={"figure": "event displays"},
        ),
    log:
        "logs/jets/event_display.log",
    conda:
        "../../envs/jets.yaml"
    params:
        algorithms=ALGORITHMS,
        event=JETS["display"]["event"],
        R=JETS["display"]["R"],
    script:
        "../../scripts/jets_event_display.py"
