"""Writing outputs so that an error or Ctrl-C never leaves a half-written file or a mixed set.

One place for every output the library writes (shared by all layers, like :mod:`forecast.names`;
it imports nothing else of the package):

* :func:`write_text`, :func:`write_bytes` and :func:`write_with` write one file through a temporary
  name in the same folder and a rename. The rename is atomic on POSIX and Windows file systems, so a
  reader sees the old file or the new one, never a part.
* :func:`output_set` writes a **set** of files that belong together (the scenario tables, the report
  pages, the backtest's tables and figures) into a staging folder first; only when every file is
  there are they renamed into place, with SIGINT held back, and a ``MANIFEST.json`` that lists every
  file with its size and SHA-256 is written last. Ctrl-C or an error while the set is written leaves
  the old set untouched. :func:`check_manifest` tells a complete set from anything else (a crash of
  the machine during the renames leaves no manifest).

Files get the permissions of an ordinary new file (``0o666`` less the umask); a temporary file from
:func:`tempfile.mkstemp` would otherwise keep its private ``0o600``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

#: Name of the file that marks a complete output set (written last, inside the set).
MANIFEST = "MANIFEST.json"


class IncompleteOutputError(RuntimeError):
    """An output folder is not a complete set: its manifest is missing, or a file differs from it."""


#: Significant digits of a number in the CSV tables the library writes (:func:`csv_number`).
CSV_DIGITS = 6


def csv_number(value: float) -> str:
    """A number as every CSV table of the library writes it: six significant digits, never an exponent.

    ``pandas.DataFrame.to_csv(float_format=csv_number)``: a spreadsheet or a colleague reads
    ``3650090`` and ``0.227767`` where ``%.6g`` wrote ``3.65009e+06``; ``-0`` is written ``0``.

    Parameters
    ----------
    value : float
        The number.

    Returns
    -------
    str
        Its text: :data:`CSV_DIGITS` significant digits, positional, without trailing zeros or point.

    Examples
    --------
    >>> csv_number(3650093.7), csv_number(0.2277671), csv_number(-0.0), csv_number(2.0)
    ('3650090', '0.227767', '0', '2')
    """
    import numpy as np

    return np.format_float_positional(
        float(value) + 0.0, precision=CSV_DIGITS, unique=False, fractional=False, trim="-"
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _public(path: Path) -> None:
    """Give ``path`` the mode of an ordinary new file (or folder)."""
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~_umask())


def write_with(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """Write one file through ``writer(tmp)`` at a temporary name, then rename it to ``path``.

    Parameters
    ----------
    path : str or Path
        The file to write. Its folder is created if missing; an existing file is replaced. A writer
        that writes a folder (a zarr store) replaces an existing folder the same way.
    writer : callable
        Called with a temporary path in the same folder (which does not exist yet); it must write
        the whole file (or folder) there (for example ``lambda p: dataset.to_netcdf(p)``). When it
        fails, the old file is left as it was.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tmp = tmpdir / path.name
        writer(tmp)
        _public(tmp)
        if tmp.is_dir() and path.is_dir():
            # a folder (a zarr store) cannot be renamed over another: the old one steps aside first
            os.replace(path, tmpdir / ".old")
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes to ``path`` atomically (a temporary name in the same folder, then a rename).

    Parameters
    ----------
    path : str or Path
        The file to write (its folder is created if missing; an existing file is replaced).
    data : bytes
        The content.

    Returns
    -------
    Path
        ``path``.
    """
    return write_with(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    """Write text to ``path`` atomically, as UTF-8 without newline translation.

    Parameters
    ----------
    path : str or Path
        The file to write (its folder is created if missing; an existing file is replaced).
    text : str
        The content.

    Returns
    -------
    Path
        ``path``.
    """
    return write_bytes(path, text.encode("utf-8"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST and not _hidden(p, folder)
    )


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def write_manifest(folder: str | Path, names: list[str] | None = None, **about: object) -> Path:
    """List the files of an output set (size and SHA-256) in ``folder/MANIFEST.json``.

    Parameters
    ----------
    folder : str or Path
        The folder of the set.
    names : list of str, optional
        The set's files, relative to ``folder`` (POSIX separators). Default: every file of the
        folder except hidden ones (a name starting with ``.``).
    **about : object
        JSON-serialisable facts recorded with the list (the command, the version, ...).

    Returns
    -------
    Path
        The manifest's path.
    """
    folder = Path(folder)
    paths = _files(folder) if names is None else [folder / n for n in sorted(names)]
    files = {
        p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)} for p in paths
    }
    doc = {
        "complete": True,
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **about,
        "files": files,
    }
    return write_text(folder / MANIFEST, json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n")


def check_manifest(folder: str | Path) -> dict:
    """Check that ``folder`` is a complete output set: every file of its manifest, unchanged.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`output_set`.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    IncompleteOutputError
        Naming the folder and the reason: no manifest, an unreadable one, a listed file that is
        missing or whose size or SHA-256 differs.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise IncompleteOutputError(f"{folder}: no {MANIFEST}, so this is not a complete output set")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        files = doc["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IncompleteOutputError(f"{path}: unreadable manifest ({exc})") from None
    for name, meta in files.items():
        p = folder / name
        if not p.is_file():
            raise IncompleteOutputError(f"{folder}: {name} is listed in {MANIFEST} but missing")
        if p.stat().st_size != meta["bytes"] or _sha256(p) != meta["sha256"]:
            raise IncompleteOutputError(f"{folder}: {name} differs from the file listed in {MANIFEST}")
    return doc


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold SIGINT back (main thread only) and deliver it when the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    try:
        previous = signal.signal(signal.SIGINT, lambda *a: received.append(a))
    except ValueError:  # not allowed here (an embedded interpreter): nothing to hold back
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


@contextlib.contextmanager
def output_set(dest: str | Path, *, keep: bool = False, **about: object) -> Iterator[Path]:
    """Write a set of files that belong together, so that ``dest`` holds the old set or the new one.

    Use as ``with output_set("out/scenarios") as d: ...`` and write every file into ``d``, a hidden
    staging folder inside ``dest``. When the block ends without an error, the old set's
    :data:`MANIFEST` is removed, every staged file is renamed into place, and a new manifest listing
    every file of ``dest`` is written last; SIGINT is held back during these renames, so Ctrl-C
    cannot split them. When the block raises (or Ctrl-C arrives during it), the staging folder is
    removed and ``dest`` is left exactly as it was. Files in ``dest`` that no set wrote (a user's
    own notes, say) are never touched nor listed.

    Parameters
    ----------
    dest : str or Path
        The output folder (created if missing).
    keep : bool, optional
        Keep the files of the old set that the new one does not write (the report pages of other
        fases, say). Default False: a file listed in the old manifest and not written now is
        removed, so the folder holds exactly the new set. Either way the manifest lists the set's
        files only.
    **about : object
        Recorded in the manifest (:func:`write_manifest`).

    Yields
    ------
    Path
        The staging folder to write into.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=dest))
    try:
        yield stage
        new = _files(stage)
        previous = _listed(dest)
        with _sigint_held():
            (dest / MANIFEST).unlink(missing_ok=True)
            for p in new:
                target = dest / p.relative_to(stage)
                target.parent.mkdir(parents=True, exist_ok=True)
                _public(p)
                os.replace(p, target)
            written = {p.relative_to(stage).as_posix() for p in new}
            kept = {n for n in previous - written if (dest / n).is_file()} if keep else set()
            if not keep:
                for name in previous - written:
                    (dest / name).unlink(missing_ok=True)
            write_manifest(dest, sorted(written | kept), **about)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _listed(folder: Path) -> set[str]:
    """The files the manifest of ``folder`` lists (empty without a readable manifest)."""
    try:
        return set(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()


__all__ = [
    "MANIFEST",
    "IncompleteOutputError",
    "check_manifest",
    "output_set",
    "write_bytes",
    "write_manifest",
    "write_text",
    "write_with",
]
