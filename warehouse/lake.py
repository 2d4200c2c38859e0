"""Where the Parquet lake lives: under the data directory (the default) or on S3-compatible object storage.

The layout is the same in both: `raw/<dataset>/<partition>=<value>/<batch_id>_<i>.parquet` under the lake's root,
and `meta.lake_files` keeps each file's path relative to the data directory (`lake/raw/...`) either way. The
DuckDB catalog (`warehouse.duckdb`), the run log, the writer lock and the quarantine stay in the data directory.

On object storage the run's DuckDB COPY writes a batch's partitions into the run's working directory first;
pyarrow's S3 filesystem then uploads them, and only then does the catalog point at them, so a crash leaves at
most unreferenced objects that the next publish deletes. DuckDB reads the lake through an fsspec S3 filesystem
registered on each connection (its httpfs extension would be downloaded at run time, which fails offline).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

LAKE = "lake"  # the lake's folder under the data directory, and the first part of every path in meta.lake_files
UPLOADS = 16  # files uploaded at once (S3 latency, not CPU, bounds an upload)
READ_CACHE_BYTES = 512 * 2**20  # lake files a reader keeps in memory (they never change)
MARKER = "_eea_lake.json"  # at an object-storage lake's root: which warehouse owns it


class LakeError(RuntimeError):
    """The lake cannot be reached or used; the message names its URL and what to do."""


def _rel_parts(rel: str) -> str:
    """'lake/raw/x/y.parquet' -> 'raw/x/y.parquet' (the path below the lake's root)."""
    head, _, rest = rel.partition("/")
    if head != LAKE or not rest:
        raise LakeError(f"{rel!r} is not a lake path (lake/raw/...)")
    return rest


@dataclass
class LocalLake:
    """The lake in `data_dir/lake` (the default)."""

    data_dir: Path
    url: None = None

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)

    def describe(self) -> str:
        return str(self.data_dir / LAKE)

    def location(self, rel: str) -> str:
        """What DuckDB reads for the lake path `rel`."""
        return str(self.data_dir / LAKE / _rel_parts(rel))

    def check(self) -> None:
        """Nothing to reach: the data directory is checked by the run."""

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Nothing to register: DuckDB reads local files itself."""

    def outbox(self, dataset: str, batch_id: str, work_dir: Path) -> Path:
        """Where DuckDB's COPY writes a batch of `dataset`: straight into the lake, in new files."""
        del batch_id, work_dir
        return self.data_dir / LAKE / "raw" / dataset

    def put(self, outbox: Path, dataset: str) -> None:
        """The batch is already in place."""

    def raw_files(self) -> set[str]:
        raw = self.data_dir / LAKE / "raw"
        return {str(p.relative_to(self.data_dir)) for p in raw.rglob("*.parquet")} if raw.exists() else set()

    def delete(self, rels: set[str]) -> None:
        for rel in rels:
            with contextlib.suppress(OSError):
                (self.data_dir / rel).unlink()
        raw = self.data_dir / LAKE / "raw"
        if raw.exists():
            folders = sorted((p for p in raw.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
            for folder in folders:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only empty ones go


@dataclass
class S3Lake:
    """The lake on S3-compatible object storage at `url` (s3://bucket/prefix)."""

    url: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    _pyarrow_fs: Any = field(default=None, init=False, repr=False, compare=False)
    _fsspec_fs: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bucket, _, prefix = self.url.removeprefix("s3://").partition("/")
        if not self.url.startswith("s3://") or not bucket:
            raise LakeError(f"lake URL {self.url!r} is not s3://bucket or s3://bucket/prefix")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def describe(self) -> str:
        return self.url + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    @property
    def _root(self) -> str:
        """bucket/prefix, as pyarrow and fsspec name paths (no scheme)."""
        return f"{self.bucket}/{self.prefix}".rstrip("/")

    def location(self, rel: str) -> str:
        return f"s3://{self._root}/{_rel_parts(rel)}"

    # -- the two clients ---------------------------------------------------

    @property
    def pyarrow_fs(self) -> Any:
        """pyarrow's S3 filesystem: it writes the lake."""
        if self._pyarrow_fs is None:
            from pyarrow import fs

            # allow_delayed_open: a small file is one PutObject, not a three-request multipart upload
            # (an error then surfaces when the file is closed, which put() does before it returns).
            kwargs: dict[str, Any] = {
                "region": self.region,
                "allow_bucket_creation": False,
                "allow_delayed_open": True,
                "connect_timeout": 10.0,
            }
            if self.endpoint_url:
                scheme, _, host = self.endpoint_url.partition("://")
                kwargs.update(endpoint_override=host or scheme, scheme=scheme if host else "https")
            if self.access_key_id and self.secret_access_key:
                kwargs.update(access_key=self.access_key_id, secret_key=self.secret_access_key)
            self._pyarrow_fs = fs.S3FileSystem(**kwargs)
        return self._pyarrow_fs

    @property
    def fsspec_fs(self) -> Any:
        """s3fs: DuckDB reads the lake through it, and it deletes in bulk."""
        if self._fsspec_fs is None:
            kwargs: dict[str, Any] = {"client_kwargs": {"region_name": self.region}}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            if self.access_key_id and self.secret_access_key:
                kwargs.update(key=self.access_key_id, secret=self.secret_access_key)
            self._fsspec_fs = _lake_s3fs(f"{self._root}/raw", **kwargs)
        return self._fsspec_fs

    # -- the lake's operations ---------------------------------------------

    def check(self) -> None:
        """Fail now, naming the lake, if its bucket cannot be reached (before any work is done)."""
        from pyarrow import fs

        try:
            info = self.pyarrow_fs.get_file_info(self.bucket)
        except OSError as exc:
            raise LakeError(f"the lake {self.describe()} cannot be reached: {_plain(exc)}") from None
        if info.type == fs.FileType.NotFound:
            raise LakeError(
                f"the lake {self.describe()}: bucket {self.bucket!r} does not exist; create it (the pipeline "
                "does not create buckets), or fix EEA_LAKE_URL"
            )

    def claim(self, lake_id: str, owner: str) -> None:
        """Mark the lake as this warehouse's (MARKER at its root), or refuse one that another warehouse owns.

        A publish deletes every object under raw/ that its catalog does not point at: two warehouses sharing
        one lake would delete each other's data.
        """
        marker = f"{self._root}/{MARKER}"
        try:
            with self.pyarrow_fs.open_input_stream(marker) as fh:
                theirs = json.loads(fh.read())
        except FileNotFoundError:
            theirs = None
        except (OSError, ValueError) as exc:
            raise LakeError(f"reading {MARKER} of the lake {self.describe()}: {_plain(exc)}") from None
        if theirs is None:
            if self.raw_files():
                raise LakeError(
                    f"the lake {self.describe()} already holds files under raw/ and no {MARKER}: it is not this "
                    "warehouse's lake; point EEA_LAKE_URL at an empty prefix"
                )
            with self.pyarrow_fs.open_output_stream(marker) as out:
                out.write(json.dumps({"lake_id": lake_id, "catalog": owner}).encode())
        elif theirs.get("lake_id") != lake_id:
            raise LakeError(
                f"the lake {self.describe()} belongs to another warehouse ({theirs.get('catalog')}, lake id "
                f"{theirs.get('lake_id')}); this one's is {lake_id}: each warehouse needs its own lake prefix"
            )

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let DuckDB read s3:// paths on this connection's database through s3fs."""
        # DuckDB keeps one database instance per file and process, and filesystems belong to the instance.
        if "s3" in con.list_filesystems():
            con.unregister_filesystem("s3")
        con.register_filesystem(self.fsspec_fs)

    def outbox(self, dataset: str, batch_id: str, work_dir: Path) -> Path:
        """A folder of the run's working directory that DuckDB's COPY writes the batch into before upload."""
        return Path(work_dir) / "outbox" / batch_id / "raw" / dataset

    def put(self, outbox: Path, dataset: str) -> None:
        """Upload the batch's files from the outbox to the lake (pyarrow, several at once), then clear the outbox.

        One object per file and no "directory" objects: pyarrow's copy_files would add an empty marker object
        for every partition folder, which nothing would ever clean up.
        """
        files = sorted(p for p in outbox.rglob("*.parquet"))

        def upload(path: Path) -> None:
            target = f"{self._root}/raw/{dataset}/{path.relative_to(outbox).as_posix()}"
            data = path.read_bytes()
            with self.pyarrow_fs.open_output_stream(target) as out:
                out.write(data)
            # The run reads what it just wrote (the raw view, the marts): from memory, not another trip to S3.
            self.fsspec_fs.remember(target, data)

        try:
            with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
                list(pool.map(upload, files))
        except OSError as exc:
            raise LakeError(f"writing {dataset} to the lake {self.describe()}: {_plain(exc)}") from None
        shutil.rmtree(outbox.parent.parent, ignore_errors=True)

    def raw_files(self) -> set[str]:
        from pyarrow import fs

        selector = fs.FileSelector(f"{self._root}/raw", recursive=True, allow_not_found=True)
        try:
            infos = self.pyarrow_fs.get_file_info(selector)
        except OSError as exc:
            raise LakeError(f"listing the lake {self.describe()}: {_plain(exc)}") from None
        start = len(self._root) + 1
        return {f"{LAKE}/{i.path[start:]}" for i in infos if i.type == fs.FileType.File and i.path.endswith(".parquet")}

    def delete(self, rels: set[str]) -> None:
        if rels:
            # s3fs deletes up to 1,000 objects a request; pyarrow deletes one at a time.
            names = [f"{self._root}/{_rel_parts(r)}" for r in sorted(rels)]
            self.fsspec_fs.rm(names)
            self.fsspec_fs.forget(names)


Lake = LocalLake | S3Lake


def _lake_s3fs(raw_root: str, **kwargs: Any) -> Any:
    """s3fs that remembers what S3 said of each lake file, and the file itself: lake files never change once written.

    DuckDB asks about a file a dozen times per scan (exists, size, modified time, open), each a HEAD request to
    plain s3fs, and reads its footer again for every query that binds a view. Here the first question under
    the lake lists all of raw/ (a request per 1,000 files) and the answers are kept; a file written later is
    asked about once. Files read are kept in memory, least recently used out first past READ_CACHE_BYTES,
    so a run's many queries over the same partitions fetch each file once. Listings are not cached otherwise
    (s3fs would take a file written since its listing for a folder).
    """
    import s3fs

    class LakeS3FileSystem(s3fs.S3FileSystem):  # type: ignore[misc]
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self._lake_files: dict[str, dict[str, Any]] = {}
            self._lake_listed = False
            self._lake_bytes: OrderedDict[str, bytes] = OrderedDict()
            self._lake_held = 0
            self._lake_lock = threading.Lock()

        async def _info(self, path: str, *args: Any, **kw: Any) -> dict[str, Any]:
            name = self._strip_protocol(path)
            known = self._lake_files.get(name)
            if known is None and not self._lake_listed and name.startswith(raw_root + "/"):
                self._lake_listed = True
                listing = await self._find(raw_root, detail=True)
                self._lake_files.update({k: v for k, v in listing.items() if v.get("type") == "file"})
                known = self._lake_files.get(name)
            if known is None:
                known = await super()._info(path, *args, **kw)
                if known.get("type") == "file":
                    self._lake_files[name] = known
            return known

        # DuckDB calls these some 30 times per file and query: answered from memory, with no trip to s3fs's
        # event loop, for a lake file already known.
        def _known(self, path: str) -> dict[str, Any] | None:
            return self._lake_files.get(self._strip_protocol(path))

        def info(self, path: str, **kw: Any) -> dict[str, Any]:
            return self._known(path) or super().info(path, **kw)

        def exists(self, path: str, **kw: Any) -> bool:
            return self._known(path) is not None or super().exists(path, **kw)

        def isfile(self, path: str) -> bool:
            return self._known(path) is not None or super().isfile(path)

        def size(self, path: str) -> int:
            known = self._known(path)
            return int(known["size"]) if known else super().size(path)

        def modified(self, path: str, *args: Any, **kw: Any) -> Any:
            known = self._known(path)
            return known["LastModified"] if known else super().modified(path, *args, **kw)

        def glob(self, path: str, *args: Any, **kw: Any) -> Any:
            if not kw.get("detail") and not any(c in path for c in "*?[") and self._known(path):
                return [self._strip_protocol(path)]
            return super().glob(path, *args, **kw)

        def remember(self, name: str, data: bytes) -> None:
            """A lake file this process just wrote: what it is, and its bytes."""
            self._lake_files[name] = {"name": name, "size": len(data), "type": "file", "LastModified": _utcnow()}
            self._keep_bytes(name, data)

        def forget(self, names: list[str]) -> None:
            with self._lake_lock:
                for name in names:
                    self._lake_files.pop(name, None)
                    data = self._lake_bytes.pop(name, None)
                    self._lake_held -= len(data) if data is not None else 0

        def _keep_bytes(self, name: str, data: bytes) -> None:
            with self._lake_lock:
                if name not in self._lake_bytes:
                    self._lake_bytes[name] = data
                    self._lake_held += len(data)
                while self._lake_held > READ_CACHE_BYTES and len(self._lake_bytes) > 1:
                    self._lake_held -= len(self._lake_bytes.popitem(last=False)[1])

        def _open(self, path: str, mode: str = "rb", *args: Any, **kw: Any) -> Any:
            name = self._strip_protocol(path)
            if mode != "rb" or not name.startswith(raw_root + "/"):
                return super()._open(path, mode, *args, **kw)
            with self._lake_lock:
                data = self._lake_bytes.get(name)
                if data is not None:
                    self._lake_bytes.move_to_end(name)
            if data is None:
                data = self.cat_file(name)
                self._keep_bytes(name, data)
            return io.BytesIO(data)

    return LakeS3FileSystem(skip_instance_cache=True, use_listings_cache=False, **kwargs)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _plain(exc: BaseException) -> str:
    """An error's first line (AWS errors carry request ids and whole responses after it)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
