"""The lake on S3-compatible object storage (a local moto server): layout, ownership, and failures named by the lake.

The write path's general behaviour (replace, scope, garbage, failed and dead runs, readers) runs against both
lakes in test_store.py; this file covers what only object storage has.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.s3server import KEY, REGION, SECRET, S3Server, _free_port
from tests.warehouse.test_store import D1, D2, D3, bars, land_and_publish, read
from warehouse.lake import MARKER, LocalLake, S3Lake
from warehouse.store import WarehouseError, WarehouseRun, connect_readonly, published_path


def _lake(server: S3Server, bucket: str, prefix: str = "eea") -> S3Lake:
    return S3Lake(
        f"s3://{bucket}/{prefix}", endpoint_url=server.url, region=REGION, access_key_id=KEY, secret_access_key=SECRET
    )


def test_the_lake_keeps_its_layout_on_the_bucket_and_the_catalog_reads_it_there(
    tmp_path: Path, s3_lake: S3Lake, s3_server: S3Server
) -> None:
    run_id = land_and_publish(tmp_path, bars([("AAA", D1, 10.0), ("AAA", D2, 11.0)]), lake=s3_lake)
    assert s3_server.keys(s3_lake.bucket) == [
        f"eea/{MARKER}",
        f"eea/raw/prices/date=2024-01-02/{run_id}-prices-1_0.parquet",
        f"eea/raw/prices/date=2024-01-03/{run_id}-prices-1_0.parquet",
    ]
    assert not (tmp_path / "lake" / "raw").exists()  # nothing of the lake on local disk
    assert not list((tmp_path / "work").iterdir())  # the outbox went with the run
    con = connect_readonly(tmp_path, s3_lake)
    try:
        [view] = con.execute(
            "SELECT sql FROM duckdb_views() WHERE schema_name = 'raw' AND view_name = 'prices'"
        ).fetchall()
        lake = con.execute("SELECT url, endpoint_url, region FROM meta.lake").fetchall()
        paths = [r[0] for r in con.execute("SELECT path FROM meta.lake_files ORDER BY path").fetchall()]
    finally:
        con.close()
    assert f"s3://{s3_lake.bucket}/eea/raw/prices/date=2024-01-02/" in view[0]
    assert lake == [(f"s3://{s3_lake.bucket}/eea", s3_server.url, REGION)]  # never the credentials
    assert paths == [f"lake/raw/prices/date=2024-01-0{d}/{run_id}-prices-1_0.parquet" for d in (2, 3)]
    marker = json.loads(s3_server.client().get_object(Bucket=s3_lake.bucket, Key=f"eea/{MARKER}")["Body"].read())
    assert marker["catalog"] == str(tmp_path) and len(marker["lake_id"]) == 16


def test_a_lake_does_not_move_with_a_setting(tmp_path: Path, s3_lake: S3Lake) -> None:
    local, remote = tmp_path / "local", tmp_path / "remote"
    land_and_publish(local, bars([("AAA", D1, 10.0)]))
    before = published_path(local).read_bytes()
    with pytest.raises(
        WarehouseError, match=rf"keeps its lake at {re.escape(str(local))}/lake, but the settings put it at s3://"
    ):
        land_and_publish(local, bars([("AAA", D2, 11.0)]), lake=s3_lake)
    assert published_path(local).read_bytes() == before

    land_and_publish(remote, bars([("AAA", D1, 10.0)]), lake=s3_lake)
    with pytest.raises(
        WarehouseError,
        match=rf"keeps its lake at {re.escape(s3_lake.url)}, but the settings put it at {re.escape(str(remote))}",
    ):
        land_and_publish(remote, bars([("AAA", D2, 11.0)]), lake=LocalLake(remote))
    assert read(remote, "SELECT close FROM raw.prices", s3_lake) == [(10.0,)]


def test_two_warehouses_cannot_share_one_lake(tmp_path: Path, s3_lake: S3Lake, s3_server: S3Server) -> None:
    land_and_publish(tmp_path / "a", bars([("AAA", D1, 10.0)]), lake=s3_lake)
    before = s3_server.keys(s3_lake.bucket)
    # b's first publish would delete a's files as garbage: it is refused before it writes anything
    with pytest.raises(
        WarehouseError, match=rf"belongs to another warehouse \({re.escape(str(tmp_path / 'a'))}, lake id"
    ):
        land_and_publish(tmp_path / "b", bars([("BBB", D1, 20.0)]), lake=s3_lake)
    assert s3_server.keys(s3_lake.bucket) == before
    assert not published_path(tmp_path / "b").exists()
    # a prefix holding lake files but no marker is not taken either
    s3_server.client().delete_object(Bucket=s3_lake.bucket, Key=f"eea/{MARKER}")
    with pytest.raises(WarehouseError, match=r"already holds files under raw/ and no _eea_lake\.json"):
        land_and_publish(tmp_path / "c", bars([("BBB", D1, 20.0)]), lake=s3_lake)
    # another prefix of the same bucket is another lake
    land_and_publish(tmp_path / "d", bars([("BBB", D1, 20.0)]), lake=_lake(s3_server, s3_lake.bucket, "other"))
    assert read(tmp_path / "d", "SELECT ticker FROM raw.prices", _lake(s3_server, s3_lake.bucket, "other")) == [
        ("BBB",)
    ]


def test_a_missing_bucket_or_a_dead_endpoint_stops_the_run_before_any_work(tmp_path: Path, s3_server: S3Server) -> None:
    with pytest.raises(WarehouseError, match=r"bucket 'no-such-bucket' does not exist; create it"):
        WarehouseRun(tmp_path, kind="test", as_of=D1, lake=_lake(s3_server, "no-such-bucket")).open()
    dead = S3Lake(
        "s3://lake/eea",
        endpoint_url=f"http://127.0.0.1:{_free_port()}",
        access_key_id=KEY,
        secret_access_key=SECRET,
    )
    with pytest.raises(
        WarehouseError, match=r"the lake s3://lake/eea at http://127\.0\.0\.1:\d+ cannot be reached"
    ) as e:
        WarehouseRun(tmp_path, kind="test", as_of=D1, lake=dead).open()
    assert SECRET not in str(e.value) and SECRET not in repr(dead)
    assert not published_path(tmp_path).exists()
    states = sorted(json.loads(p.read_text())["state"] for p in (tmp_path / "runs").glob("*.json"))
    assert states == ["failed", "failed"]


def test_a_failed_upload_fails_the_batch_by_name_and_the_published_warehouse_stays_whole(
    tmp_path: Path, s3_lake: S3Lake, s3_server: S3Server
) -> None:
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0)]), lake=s3_lake)
    before = published_path(tmp_path).read_bytes()
    with WarehouseRun(tmp_path, kind="test", as_of=D3, lake=s3_lake) as run:
        # the bucket's policy now refuses writes (moto enforces bucket policies)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{s3_lake.bucket}/*",
                }
            ],
        }
        s3_server.client().put_bucket_policy(Bucket=s3_lake.bucket, Policy=json.dumps(policy))
        with pytest.raises(WarehouseError, match=rf"batch {run.run_id}-prices-1: writing prices to the lake s3://"):
            run.land("prices", bars([("AAA", D2, 11.0)]), source="test", window=(D2, D2))
    assert published_path(tmp_path).read_bytes() == before
    assert read(tmp_path, "SELECT date, close FROM raw.prices", s3_lake) == [(D1, 10.0)]


def test_a_reader_asks_s3_about_each_lake_file_once(tmp_path: Path, s3_lake: S3Lake, s3_server: S3Server) -> None:
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(30)]
    land_and_publish(tmp_path, bars([(t, d, 10.0) for d in days for t in ("AAA", "BBB")]), lake=s3_lake)
    reader = S3Lake(s3_lake.url, s3_lake.endpoint_url, s3_lake.region, KEY, SECRET)  # a fresh client: no memory
    con = connect_readonly(tmp_path, reader)
    try:
        before = s3_server.requests(s3_lake.bucket)
        assert con.execute("SELECT count(*), sum(close) FROM raw.prices").fetchall() == [(60, 600.0)]
        first = s3_server.requests(s3_lake.bucket)
        assert con.execute("SELECT count(*) FROM raw.prices WHERE ticker = 'AAA'").fetchall() == [(30,)]
        again = s3_server.requests(s3_lake.bucket)
    finally:
        con.close()
    asked = {m: first.get(m, 0) - before.get(m, 0) for m in first}
    # one listing of raw/ and one GET per file; plain s3fs makes about a dozen HEADs per file and query
    assert asked.get("HEAD", 0) == 0 and asked["GET"] == 30 + 1
    assert again == first  # the second query is answered from memory
