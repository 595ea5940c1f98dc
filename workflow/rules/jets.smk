# Jet finding on Pythia 8 events: our numba generalised-kT, validated against FastJet.


include: "jets_common.smk"


rule jets_generate:
    output:
        "results/jets/events/{process}_{chunk}.h5",
    log:
        "logs/jets/generate/{process}_{chunk}.log",
    benchmark:
        "benchmarks/jets/generate/{process}_{chunk}.tsv"
    priority: LONG_JOB
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


# numba compiles on first call and caches beside the source: one job compiles, before the jobs that cluster,
# instead of each of them compiling the same kernels at once on a fresh installation
rule jets_kernels:
    output:
        "results/jets/numba_kernels.json",
    log:
        "logs/jets/kernels.log",
    priority: LONG_JOB
    conda:
        "../../envs/jets.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../../scripts/jets_kernels.py"


# One job per chunk for all jet definitions: clustering a chunk takes ~0.1 s per definition, starting a job ~5 s.
rule jets_cluster:
    input:
        events="results/jets/events/{process}_{chunk}.h5",
        kernels="results/jets/numba_kernels.json",
    output:
        [jets_file("{process}", a, r, "{chunk}") for a, r, _ in JET_DEFINITIONS],
    log:
        "logs/jets/cluster/{process}_{chunk}.log",
    priority: LONG_JOB
    conda:
        "../../envs/jets.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        # clustering takes seconds once jets_kernels has filled numba's cache; a cold cache (e.g. the source
        # edited since) costs minutes of compilation first (10 min was too short for several at once on a busy node)
        runtime=30,
    params:
        ptmin=JETS["ptmin"],
        definitions=JET_DEFINITIONS,
    script:
        "../../scripts/jets_cluster.py"


rule jets_validate:
    input:
        unpack(jets_by_process),
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
    script:
        "../../scripts/jets_validate.py"


rule jets_timing:
    input:
        unpack(events_by_process),
        kernels="results/jets/numba_kernels.json",
    output:
        "results/jets/timing_one_thread.csv",
    log:
        "logs/jets/timing.log",
    benchmark:
        "benchmarks/jets/timing.tsv"
    priority: LONG_JOB
    conda:
        "../../envs/jets.yaml"
    # ours and FastJet one thread each, interleaved: it may share the machine (see resources.timing_cores)
    threads: timing_cores()
    params:
        **canonical(JETS["benchmark"]),
        seed=JETS["seed"],
        build_dir="results/jets/build",
    script:
        "../../scripts/jets_timing.py"


rule jets_benchmark:
    input:
        unpack(events_by_process),
        timing="results/jets/timing_one_thread.csv",
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
    # events/s of ours on every thread it holds: the one jets measurement that needs its cores to itself
    threads: benchmark_threads()
    params:
        algorithms=JETS["benchmark"]["algorithms"],
        radii=JETS["benchmark"]["radii"],
        repeats=JETS["benchmark"]["repeats"],
        build_dir="results/jets/build",
    script:
        "../../scripts/jets_benchmark.py"


rule jets_physics:
    input:
        unpack(physics_jets),
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
        label="{algorithm}, R = {R}".format(**JETS["physics_plot"]),
    script:
        "../../scripts/jets_physics.py"


rule jets_event_display:
    input:
        unpack(display_inputs),
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
        event=JETS["display"]["event"],
        R=JETS["display"]["R"],
    script:
        "../../scripts/jets_event_display.py"
