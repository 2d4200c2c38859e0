"""Marts as Parquet (a folder per table) and the data dictionary, written from the published warehouse.

`data_dir/export/<table>/<table>.parquet` (zstd) for every mart (schema main; raw and staging stay in the lake), and
`data_dir/export/DATA_DICTIONARY.md`. An export is written whole into a new hidden folder beside the target and then
swapped in by rename, the previous export staying in place until then: a tool reading `export/` sees the last
complete export or the new one, never part of one.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse.dictionary import attach_published, catalog, render_dictionary, write_text_atomic

EXPORT = "export"
DICTIONARY = "DATA_DICTIONARY.md"


def export_dir(data_dir: Path) -> Path:
    """Where every run's export goes: data_dir/export."""
    return Path(data_dir) / EXPORT


def after_publish_export(data_dir: Path) -> Path | None:
    """Export the marts just published for tools that read files; the folder written.

    A failure raises: after_publish logs it, the run stays published and the previous export stays in place.
    """
    return export_parquet(data_dir)


def export_parquet(data_dir: Path, target: Path | None = None) -> Path:
    """Write every mart of the published warehouse as `<target>/<table>/<table>.parquet` plus the data dictionary.

    `target` defaults to data_dir/export. The folder is replaced whole or not at all: if any table fails, the
    previous export is left as it was and the error is raised.
    """
    target = Path(target) if target is not None else export_dir(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target):
        _clear_leftovers(target)
        fresh = target.parent / f".{target.name}.tmp-{secrets.token_hex(4)}"
        fresh.mkdir()
        try:
            with attach_published(data_dir) as con:
                tables, columns = catalog(con, "w")
                for table in tables:
                    _export_table(con, table.table, fresh / table.table / f"{table.table}.parquet")
                write_text_atomic(fresh / DICTIONARY, render_dictionary(tables, columns))
            _fsync_tree(fresh)
            _swap_in(fresh, target)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
    return target


def _export_table(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    quoted = str(path).replace("'", "''")
    con.execute(f"COPY (SELECT * FROM w.main.\"{table}\") TO '{quoted}' (FORMAT parquet, COMPRESSION zstd)")


@contextlib.contextmanager
def _exclusive(target: Path) -> Iterator[None]:
    # Two exports at once (a run's and `eea export`) take turns, so neither swaps or clears the other's folders.
    fd = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _clear_leftovers(target: Path) -> None:
    # Folders of an export that was killed before its swap, or before it removed the export it replaced.
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for stale in target.parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    # The files must be on disk before the rename makes them the export.
    for path in [*root.rglob("*"), root]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 with RENAME_EXCHANGE); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(new: Path, target: Path) -> None:
    """Make the complete folder `new` the export at `target`, then remove the export it replaced."""
    if not target.exists():
        os.rename(new, target)
    elif _exchange(new, target):
        # `new` now holds the previous export.
        shutil.rmtree(new, ignore_errors=True)
    else:
        # Two renames: between them `target` is briefly absent, never partial.
        old = target.parent / f".{target.name}.old-{secrets.token_hex(4)}"
        os.rename(target, old)
        os.rename(new, target)
        shutil.rmtree(old, ignore_errors=True)
    with contextlib.suppress(OSError):
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
