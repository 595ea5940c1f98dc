"""Atomic HDF5 output and clear input errors."""

import h5py
import numpy as np
import pytest

from hepclust.errors import InputError
from hepclust.io import SCHEMA_VERSION, atomic_output, read_h5, write_h5


def test_roundtrip_carries_schema_version_and_params(tmp_path):
    path = tmp_path / "a.h5"
    write_h5(path, "thing", {"x": np.arange(5)}, {"seed": 3, "nested": {"a": [1, 2]}}, {"name": "toy"})
    data, attrs = read_h5(path, "thing", required=["x"])
    assert data["x"].tolist() == [0, 1, 2, 3, 4]
    assert attrs["schema_version"] == SCHEMA_VERSION
    assert attrs["params"] == {"seed": 3, "nested": {"a": [1, 2]}}
    assert attrs["created_by"].startswith("hepclust ")


def test_same_content_gives_identical_bytes(tmp_path):
    for name in ("a.h5", "b.h5"):
        write_h5(tmp_path / name, "thing", {"x": np.linspace(0, 1, 100)}, {"seed": 1})
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()


def test_failed_write_leaves_no_file_behind(tmp_path):
    path = tmp_path / "out.h5"
    with pytest.raises(RuntimeError):
        with atomic_output(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="nope.h5: input file does not exist"):
        read_h5(tmp_path / "nope.h5", "thing")


def test_corrupt_file_is_named(tmp_path):
    path = tmp_path / "bad.h5"
    write_h5(path, "thing", {"x": np.arange(1000)}, {})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="bad.h5: not a readable HDF5 file"):
        read_h5(path, "thing")


def test_wrong_kind_and_missing_dataset_are_named(tmp_path):
    path = tmp_path / "a.h5"
    write_h5(path, "thing", {"x": np.arange(3)}, {})
    with pytest.raises(InputError, match="expected an HDF5 file of kind 'other'"):
        read_h5(path, "other")
    with pytest.raises(InputError, match="missing dataset.*labels"):
        read_h5(path, "thing", required=["labels"])


def test_foreign_hdf5_without_schema_is_rejected(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(InputError, match="kind"):
        read_h5(path, "thing")


def test_atomic_outputs_are_readable_like_any_new_file(tmp_path):
    """mkstemp makes 0600 files; a result on a shared cluster gets 0666 & ~umask like open() gives."""
    import os
    import stat

    from hepclust.io import atomic_output

    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "r.csv") as tmp:
            tmp.write_text("a\n")
        plain = tmp_path / "plain.csv"
        plain.write_text("a\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.csv").stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) == 0o644
