"""Entry point of one training rank: ``torchrun ... -m hepclust.contrastive.worker '<json arguments>'``.

Started by :func:`hepclust.contrastive.distributed.launch_command`; the JSON
holds the rule's inputs, outputs and training params.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from hepclust.contrastive.study import train_rank


def main(argv: list[str]) -> None:
    rank = os.environ.get("RANK", "?")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(asctime)s rank {rank} %(levelname)s %(name)s: %(message)s")
    train_rank(json.loads(argv[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
