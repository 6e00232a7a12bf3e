"""Outputs are written whole or not at all (forecast/atomic.py): single files and sets of files."""

from __future__ import annotations

import os
import signal
import stat

import pytest

from forecast import atomic


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_is_replaced_whole_and_gets_ordinary_permissions(tmp_path):
    p = tmp_path / "sub" / "a.csv"
    atomic.write_text(p, "old\n")
    atomic.write_text(p, "new\n")
    assert p.read_text() == "new\n"
    assert _mode(p) == 0o666 & ~_umask()
    assert [x.name for x in p.parent.iterdir()] == ["a.csv"]  # no temporary left behind


def test_a_failing_writer_leaves_the_old_file(tmp_path):
    p = tmp_path / "a.nc"
    atomic.write_bytes(p, b"old")

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic.write_with(p, broken)
    assert p.read_bytes() == b"old"
    assert [x.name for x in tmp_path.iterdir()] == ["a.nc"]


def _store(files):
    """A writer of a folder (as a zarr store is written), failing after ``files`` files when negative."""

    def write(tmp):
        tmp.mkdir()
        for i in range(abs(files)):
            (tmp / f"chunk{i}").write_text(f"new {i}")
        if files < 0:
            raise KeyboardInterrupt

    return write


def test_a_folder_is_replaced_whole_and_an_interrupted_one_leaves_the_old(tmp_path):
    store = tmp_path / "fit.zarr"
    atomic.write_with(store, _store(3))
    atomic.write_with(store, _store(2))  # a folder replaces a folder: nothing of the old one is left
    assert sorted(p.name for p in store.iterdir()) == ["chunk0", "chunk1"]
    with pytest.raises(KeyboardInterrupt):
        atomic.write_with(store, _store(-5))  # Ctrl-C halfway through the new store
    assert sorted(p.read_text() for p in store.iterdir()) == ["new 0", "new 1"]
    assert [x.name for x in tmp_path.iterdir()] == ["fit.zarr"]


def _write_set(dest, names, content, **kw):
    with atomic.output_set(dest, **kw) as stage:
        for n in names:
            (stage / n).write_text(content)


def test_a_set_is_listed_in_its_manifest_and_checks_out(tmp_path):
    dest = tmp_path / "scenarios"
    _write_set(dest, ["a.csv", "b.csv"], "1")
    doc = atomic.check_manifest(dest)
    assert sorted(doc["files"]) == ["a.csv", "b.csv"] and doc["complete"] is True
    assert {p.name for p in dest.iterdir()} == {"a.csv", "b.csv", atomic.MANIFEST}
    assert _mode(dest / "a.csv") == 0o666 & ~_umask()
    (dest / "b.csv").write_text("edited")
    with pytest.raises(atomic.IncompleteOutputError, match=r"b\.csv differs"):
        atomic.check_manifest(dest)


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_an_error_or_ctrl_c_while_writing_leaves_the_old_set(tmp_path, error):
    dest = tmp_path / "scenarios"
    _write_set(dest, ["a.csv", "b.csv"], "old")
    with pytest.raises(type(error)), atomic.output_set(dest) as stage:
        (stage / "a.csv").write_text("new")
        raise error
    assert (dest / "a.csv").read_text() == "old" and (dest / "b.csv").read_text() == "old"
    atomic.check_manifest(dest)
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]  # the staging folder is gone


def test_ctrl_c_during_the_renames_is_held_until_the_set_is_complete(tmp_path, monkeypatch):
    dest = tmp_path / "scenarios"
    _write_set(dest, ["a.csv", "b.csv", "c.csv"], "old")
    real_replace = os.replace
    calls = []

    def replace_and_interrupt(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right after the first file moved
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace_and_interrupt)
    with pytest.raises(KeyboardInterrupt):
        _write_set(dest, ["a.csv", "b.csv", "c.csv"], "new")
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert {(dest / n).read_text() for n in ("a.csv", "b.csv", "c.csv")} == {"new"}
    atomic.check_manifest(dest)


def test_a_new_set_drops_the_old_sets_files_but_not_other_files(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "my_notes.txt").write_text("mine")
    _write_set(dest, ["a.csv", "b.csv"], "old")
    _write_set(dest, ["a.csv"], "new")
    assert not (dest / "b.csv").exists() and (dest / "my_notes.txt").read_text() == "mine"
    _write_set(dest, ["c.csv"], "new", keep=True)
    assert (dest / "a.csv").exists() and (dest / "c.csv").exists()
    assert set(atomic.check_manifest(dest)["files"]) == {"a.csv", "c.csv"}
    _write_set(dest, ["d.csv"], "new")
    assert {p.name for p in dest.iterdir()} == {"d.csv", "my_notes.txt", atomic.MANIFEST}


def test_a_folder_without_a_manifest_is_not_a_complete_set(tmp_path):
    with pytest.raises(atomic.IncompleteOutputError, match=r"no MANIFEST\.json"):
        atomic.check_manifest(tmp_path)


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m
