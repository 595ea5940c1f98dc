"""Atomic, self-describing file output and validated HDF5 input.

Every file the workflow writes goes through :func:`atomic_output`: it is
written under a temporary name in the destination folder and renamed only
once complete, so a crash or a killed job never leaves a half-written result
that Snakemake (or a physicist) could mistake for a good one.

HDF5 files carry ``schema_version``, ``kind``, ``created_by`` and the JSON of
the parameters that made them, so a file found on disk months later explains
itself, and a reader can refuse a file of the wrong kind or version with a
clear message.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from hepclust import __version__
from hepclust.errors import InputError

SCHEMA_VERSION = 1
IMAGES_KIND = "images"  # (N, H, W) float32 + labels; see hepclust.images


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    The temporary name keeps the real suffix so that libraries choosing a
    format by extension (matplotlib, pandas) behave as for the real file.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.tmp-", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600; results on a shared cluster must be readable by the group as any file
    # written with open() would be, so apply the usual 0666 & ~umask
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _attr_value(value: Any) -> Any:
    """HDF5 attributes hold scalars/strings/arrays; anything nested goes in as sorted JSON."""
    if isinstance(value, (str, int, float, bool, np.integer, np.floating)):
        return value
    if isinstance(value, np.ndarray):
        return value
    return json.dumps(value, sort_keys=True)


def write_h5(
    path: str | os.PathLike[str],
    kind: str,
    datasets: Mapping[str, np.ndarray],
    params: Mapping[str, Any],
    attrs: Mapping[str, Any] | None = None,
) -> None:
    """Write ``datasets`` atomically to ``path`` with provenance attributes.

    ``params`` (the config that produced the data) is stored as sorted JSON in
    the ``params`` attribute; ``attrs`` are further per-file attributes
    (feature names, units...).  Timestamps are not tracked, so the same inputs
    give byte-identical files.
    """
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w", track_order=False) as f:
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["kind"] = kind
            f.attrs["created_by"] = f"hepclust {__version__}"
            f.attrs["params"] = json.dumps(dict(params), sort_keys=True)
            for key, value in (attrs or {}).items():
                f.attrs[key] = _attr_value(value)
            for name, data in datasets.items():
                f.create_dataset(name, data=np.asarray(data), track_times=False)


def read_h5(
    path: str | os.PathLike[str],
    kind: str,
    required: Sequence[str] = (),
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read every dataset and attribute of an HDF5 file written by :func:`write_h5`.

    Raises :class:`InputError` naming the file when it is missing, is not
    readable HDF5 (truncated, corrupt), is of another ``kind`` or schema
    version, or lacks one of the ``required`` datasets.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(p, "input file does not exist")
    try:
        with h5py.File(p, "r") as f:
            attrs = {k: _decode(v) for k, v in f.attrs.items()}
            data = {name: f[name][()] for name in f.keys() if isinstance(f[name], h5py.Dataset)}
    except OSError as exc:
        raise InputError(p, f"not a readable HDF5 file (corrupt or truncated?): {exc}") from exc
    if attrs.get("kind") != kind:
        raise InputError(p, f"expected an HDF5 file of kind '{kind}', found kind {attrs.get('kind')!r}")
    if attrs.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            p, f"schema_version {attrs.get('schema_version')!r} is not the supported version {SCHEMA_VERSION}"
        )
    missing = [name for name in required if name not in data]
    if missing:
        raise InputError(p, f"missing dataset(s) {', '.join(missing)}")
    attrs["params"] = json.loads(attrs.get("params", "{}"))
    return data, attrs


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def json_attr(attrs: Mapping[str, Any], key: str) -> Any:
    """Decode an attribute that :func:`write_h5` stored as JSON (lists, dicts)."""
    value = attrs[key]
    return json.loads(value) if isinstance(value, str) else value


def write_csv(path: str | os.PathLike[str], frame: Any) -> None:
    """Write a pandas DataFrame atomically, with a fixed float format for stable bytes."""
    with atomic_output(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def read_csv(path: str | os.PathLike[str], required: Sequence[str] = ()) -> Any:
    """Read a results CSV; a missing file, an unparsable one or missing ``required`` columns name the file."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise InputError(p, "input file does not exist")
    try:
        frame = pd.read_csv(p)
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(p, f"not a readable CSV table: {exc}") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(p, f"missing column(s) {', '.join(missing)}")
    return frame
