# Input data of the classical study: a Gaussian-mixture toy and the Palmer penguins.


rule data_toy:
    output:
        "results/data/toy.h5",
    log:
        "logs/data/toy.log",
    conda:
        "../../envs/classical.yaml"
    params:
        components=canonical(config["toy"]["components"]),
        seed=config["toy"]["seed"],
    script:
        "../../scripts/data_toy.py"


rule data_penguins:
    output:
        "results/data/penguins.h5",
    log:
        "logs/data/penguins.log",
    conda:
        "../../envs/classical.yaml"
    params:
        features=config["penguins"]["features"],
        standardize=config["penguins"]["standardize"],
    script:
        "../../scripts/data_penguins.py"
