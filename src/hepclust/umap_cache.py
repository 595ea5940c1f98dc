"""umap-learn with its numba kernels cached on disk, like every other numba function in this repository.

umap-learn 0.5 compiles most of its kernels without ``cache=True``
(``fast_knn_indices``, ``smooth_knn_dist``, the layout epoch, ...), so every
process that calls UMAP spends ~23 s compiling them again (measured: first
call on 1,800 points 31.6 s, 8.4 s once cached).  Five rules of the default
workflow call UMAP, each in its own process.  numba's own file cache
(``Dispatcher.enable_caching``, what ``cache=True`` does) is switched on for
every not-yet-cached dispatcher of umap and pynndescent before first use; the
compiled code is the same, only where it is kept changes.  (The layout epoch is
jitted inside a call, so it is not reached: 1.3 s.)
"""

from __future__ import annotations

import sys
from types import ModuleType

PACKAGES = ("umap", "pynndescent")


def _dispatchers(module: ModuleType) -> list:
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    return [obj for obj in vars(module).values() if isinstance(obj, Dispatcher) and isinstance(obj._cache, NullCache)]


def import_umap() -> ModuleType:
    """``import umap``, with numba's file cache on for all of umap-learn's and pynndescent's kernels.

    Returns the umap module.  Idempotent: a dispatcher already cached is left alone.
    """
    import umap

    for name, module in list(sys.modules.items()):
        if module is not None and name.split(".")[0] in PACKAGES:
            for dispatcher in _dispatchers(module):
                dispatcher.enable_caching()
    return umap
