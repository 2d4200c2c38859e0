"""The lake on object storage against the lake on local disk: the same nightly, then a reader's scan of raw.prices.

The object store is moto's S3 server on this machine (tests/s3server.py), so the numbers say what the lake's own
code costs (uploads, DuckDB reading through s3fs), not what a real S3 round trip costs; a real store adds its
network latency per request. Both nightlies run in their own process (bench.worker, as `eea run` does) with the
same demo market (TICKERS, HISTORY_YEARS). The scan compares a reader through the lake's s3fs (which keeps what it
learns of immutable lake files) with plain s3fs, counting the requests the server saw.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_scale import AS_OF, _measure, _warm

TICKERS = 1_000
HISTORY_YEARS = 1
SCAN = "SELECT count(*), sum(close) FROM raw.prices"


def _scan(data_dir: Path, lake: Any, server: Any, plain: bool) -> dict[str, Any]:
    import s3fs

    from warehouse.store import connect_readonly

    if plain:  # what DuckDB would do through s3fs as it comes
        kwargs = {"endpoint_url": lake.endpoint_url, "key": lake.access_key_id, "secret": lake.secret_access_key}
        lake._fsspec_fs = s3fs.S3FileSystem(skip_instance_cache=True, **kwargs)
    before = server.requests(lake.bucket)
    con = connect_readonly(data_dir, lake)
    try:
        start = time.perf_counter()
        first = con.execute(SCAN).fetchall()
        first_s = time.perf_counter() - start
        mid = server.requests(lake.bucket)
        start = time.perf_counter()
        con.execute(SCAN).fetchall()
        second_s = time.perf_counter() - start
        after = server.requests(lake.bucket)
    finally:
        con.close()
    return {
        "rows": first[0][0],
        "first_scan_seconds": round(first_s, 3),
        "second_scan_seconds": round(second_s, 3),
        "first_scan_requests": {m: mid.get(m, 0) - before.get(m, 0) for m in mid if mid.get(m, 0) > before.get(m, 0)},
        "second_scan_requests": {m: after.get(m, 0) - mid.get(m, 0) for m in after if after.get(m, 0) > mid.get(m, 0)},
    }


def run() -> dict[str, Any]:
    from tests.s3server import KEY, REGION, SECRET, S3Server
    from warehouse.lake import S3Lake
    from warehouse.store import connect_readonly

    work = Path(tempfile.mkdtemp(prefix="eea-bench-lake-"))
    server = S3Server(work / "moto.log")
    out: dict[str, Any] = {"tickers": TICKERS, "history_years": HISTORY_YEARS, "as_of": AS_OF.isoformat()}
    try:
        home = work / "prefect-home"
        _warm(home)
        bucket = server.new_bucket()
        lake = S3Lake(
            f"s3://{bucket}/eea", endpoint_url=server.url, region=REGION, access_key_id=KEY, secret_access_key=SECRET
        )
        base = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "EEA_UNIVERSE_SMALL": str(TICKERS * 4 // 5),
            "EEA_UNIVERSE_LARGE": str(TICKERS // 5),
            "EEA_HISTORY_YEARS": str(HISTORY_YEARS),
            "EEA_OPTIONS_HISTORY_YEARS": str(HISTORY_YEARS),
            "EEA_TRANSCRIPT_QUARTERS": str(4 * HISTORY_YEARS),
        }
        s3_env = {
            "EEA_LAKE_URL": lake.url,
            "EEA_S3_ENDPOINT_URL": server.url,
            "EEA_S3_REGION": REGION,
            "EEA_S3_ACCESS_KEY_ID": KEY,
            "EEA_S3_SECRET_ACCESS_KEY": SECRET,
        }
        rows = {}
        for name, extra in (("local", {}), ("s3", s3_env)):
            data_dir = work / name
            env = {**base, **extra, "EEA_DATA_DIR": str(data_dir)}
            print(f"   nightly, lake {name}", flush=True)
            before = server.requests(bucket)
            row = _measure(["nightly", AS_OF.isoformat()], env, work / f"{name}-nightly")
            after = server.requests(bucket)
            row["s3_requests"] = {m: after.get(m, 0) - before.get(m, 0) for m in after if after[m] > before.get(m, 0)}
            rows[name] = {k: v for k, v in row.items() if k not in ("extract_seconds",)}
        out["nightly"] = rows
        if "error" not in rows["local"] and "error" not in rows["s3"]:
            out["nightly_s3_over_local"] = {
                "wall": round(rows["s3"]["wall_seconds"] / rows["local"]["wall_seconds"], 3),
                "flow_body": round(rows["s3"]["flow_body_seconds"] / rows["local"]["flow_body_seconds"], 3),
                "land_steps": round(rows["s3"]["steps_seconds"]["land"] / rows["local"]["steps_seconds"]["land"], 3),
            }
            con = connect_readonly(work / "s3", lake)
            try:
                out["lake_files"] = con.execute("SELECT count(*) FROM meta.lake_files").fetchone()[0]  # type: ignore[index]
                out["price_files"] = con.execute(
                    "SELECT count(*) FROM meta.lake_files WHERE dataset = 'prices'"
                ).fetchone()[0]  # type: ignore[index]
            finally:
                con.close()
            # a reader's scan of raw.prices: local files (baseline), the lake's s3fs, plain s3fs
            start = time.perf_counter()
            local = connect_readonly(work / "local")
            try:
                local.execute(SCAN).fetchall()
            finally:
                local.close()
            scans = {"local_first_scan_seconds": round(time.perf_counter() - start, 3)}
            fresh = lambda: S3Lake(lake.url, server.url, REGION, KEY, SECRET)  # noqa: E731
            scans_lake = _scan(work / "s3", fresh(), server, plain=False)
            scans_plain = _scan(work / "s3", fresh(), server, plain=True)
            out["reader_scan"] = {
                **scans,
                "lake_s3fs": scans_lake,
                "plain_s3fs": scans_plain,
                "plain_over_lake_first_scan": round(
                    scans_plain["first_scan_seconds"] / scans_lake["first_scan_seconds"], 2
                ),
            }
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out
