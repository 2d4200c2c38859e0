"""`eea status` and `eea doctor`: what the warehouse holds and how fresh it is; whether this machine can run at all.

Both only read: the published warehouse (read-only), the run log, the quarantine folder, settings and the network.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from config.settings import Settings, SettingsError, load_settings
from flows.chart import SYNTHETIC_LABEL, synthetic_detail
from flows.runtime import lake_for
from sources.base import DATASETS
from transforms.calendar import trading_days
from warehouse.lake import LakeError, S3Lake
from warehouse.store import LOCK_FILE, RunLog, WarehouseError, connect_readonly, quarantined

# Below this much free space in the data directory a nightly may not finish (a run copies the warehouse file).
MIN_FREE_BYTES = 2 * 1024**3


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def warehouse_status(settings: Settings, runs: int = 10) -> dict[str, Any]:
    """Last runs, freshness per dataset (trading days behind as_of), marts' input dates, quarantine, a run in progress."""
    data_dir = settings.data_dir
    lake = lake_for(settings)
    out: dict[str, Any] = {
        "data_dir": str(data_dir),
        "warehouse": str(settings.warehouse_path),
        "lake": lake.describe(),
    }
    try:
        con = connect_readonly(data_dir, lake)
    except WarehouseError as exc:
        out["error"] = str(exc)
        con = None
    if con is not None:
        try:
            published = _rows(
                con,
                "SELECT max(as_of) AS as_of, max(ended_at) AS ended_at FROM pipeline_runs WHERE state = 'published'",
            )[0]
            out["published_as_of"] = published["as_of"]
            out["published_at"] = published["ended_at"]
            # Recorded at publish from the rows' source; a warehouse published before that was kept says null.
            recorded = _rows(
                con,
                "SELECT count(*) AS n FROM duckdb_columns() WHERE schema_name = 'main' "
                "AND table_name = 'pipeline_runs' AND column_name = 'synthetic'",
            )[0]["n"]
            synthetic = "synthetic, synthetic_datasets" if recorded else "NULL AS synthetic, NULL AS synthetic_datasets"
            latest = _rows(
                con,
                f"SELECT {synthetic} FROM pipeline_runs WHERE state = 'published' "
                "ORDER BY ended_at DESC NULLS LAST, run_id DESC LIMIT 1",
            )
            out["synthetic"] = latest[0]["synthetic"] if latest else None
            out["synthetic_datasets"] = list(latest[0]["synthetic_datasets"] or []) if latest else []
            out["runs"] = _rows(
                con,
                "SELECT run_id, kind, as_of, state, started_at, ended_at, "
                f"round(epoch(ended_at - started_at), 1) AS seconds, error, {synthetic} "
                f"FROM pipeline_runs ORDER BY started_at DESC LIMIT {int(runs)}",
            )
            batches = {
                r["dataset"]: r
                for r in _rows(
                    con,
                    "SELECT dataset, max(window_end) AS landed_through, max(landed_at) AS last_landed, "
                    "arg_max(source, landed_at) AS source FROM meta.batches GROUP BY dataset",
                )
            }
            as_of = published["as_of"]
            fresh = []
            for dataset in DATASETS:
                b = batches.get(dataset)
                behind = None
                if b and as_of and b["landed_through"] < as_of:
                    behind = len(trading_days(b["landed_through"], as_of)) - 1
                elif b and as_of:
                    behind = 0
                fresh.append(
                    {
                        "dataset": dataset,
                        "source": b["source"] if b else None,
                        "landed_through": b["landed_through"] if b else None,
                        "last_landed": b["last_landed"] if b else None,
                        "trading_days_behind": behind,
                    }
                )
            out["datasets"] = fresh
            marts = _rows(
                con,
                "SELECT table_name, as_of, rows, built_at FROM meta.table_builds ORDER BY table_name",
            )
            for m in marts:
                has_inputs = _rows(
                    con,
                    "SELECT count(*) AS n FROM duckdb_columns() WHERE schema_name = 'main' "
                    f"AND table_name = '{m['table_name']}' AND column_name = 'inputs_as_of'",
                )[0]["n"]
                m["inputs_as_of"] = (
                    _rows(con, f"SELECT max(inputs_as_of) AS d FROM main.{m['table_name']}")[0]["d"]
                    if has_inputs
                    else None
                )
            out["marts"] = marts
        finally:
            con.close()
    out["quarantined"] = [
        {
            **{k: r.get(k) for k in ("batch_id", "dataset", "source", "rows", "window", "quarantined_at")},
            "failed": [
                x.get("expectation")
                for x in r.get("results", [])
                if not x.get("success") and x.get("severity") == "critical"
            ],
        }
        for r in quarantined(data_dir)
    ]
    out["running"] = _running(data_dir)
    return out


def _running(data_dir: Path) -> dict[str, Any] | None:
    """The run holding the writer lock now (from its run log), if one does."""
    import fcntl

    lock = data_dir / LOCK_FILE
    if not lock.exists():
        return None
    fd = os.open(lock, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip()
            live = [r for r in RunLog(data_dir).records() if r.get("state") == "running"]
            latest = max(live, key=lambda r: str(r.get("started_at")), default=None)
            return {"holder": holder, "phase": latest.get("phase") if latest else None}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def format_status(status: dict[str, Any]) -> str:
    """The status as text for a terminal."""
    lines = [f"Warehouse: {status['warehouse']}", f"  lake: {status['lake']}"]
    if "error" in status:
        lines.append(f"  {status['error']}")
    else:
        lines.append(f"  published as of {status.get('published_as_of')} at {status.get('published_at')} UTC")
        if status.get("synthetic"):
            lines.append(f"  {SYNTHETIC_LABEL}. {synthetic_detail(status.get('synthetic_datasets') or [])}")
        elif status.get("synthetic") is False:
            lines.append("  no dataset comes from the demo market")
        elif status.get("published_as_of") is not None:
            lines.append("  whether the data is from the demo market is not recorded (published before it was kept)")
    if status.get("running"):
        r = status["running"]
        lines.append(f"  a run is writing now: {r['holder']} (phase: {r.get('phase') or 'starting'})")
    if status.get("runs"):
        lines += [
            "",
            "Last runs:",
            f"  {'run':<34}{'kind':<14}{'as of':<12}{'state':<11}{'seconds':>8}  {'data':<10}error",
        ]
        for r in status["runs"]:
            error = (r.get("error") or "").splitlines()[0][:60] if r.get("error") else ""
            seconds = "" if r.get("seconds") is None else f"{r['seconds']:.1f}"
            data = {True: "SYNTHETIC", False: "no demo"}.get(r.get("synthetic"), "-")
            lines.append(
                f"  {r['run_id']:<34}{r['kind']:<14}{r['as_of']!s:<12}{r['state']:<11}{seconds:>8}  {data:<10}{error}"
            )
    if status.get("datasets"):
        lines += ["", "Freshness per dataset:", f"  {'dataset':<20}{'source':<10}{'landed through':<16}behind"]
        for d in status["datasets"]:
            behind = d["trading_days_behind"]
            note = "never landed" if d["landed_through"] is None else (
                "up to date" if behind == 0 else f"{behind} trading day{'s' if behind != 1 else ''} behind"
            )  # fmt: skip
            lines.append(f"  {d['dataset']:<20}{d['source'] or '-':<10}{d['landed_through']!s:<16}{note}")
    if status.get("marts"):
        lines += ["", "Marts:", f"  {'table':<26}{'rows':>12}  {'as of':<12}inputs as of"]
        for m in status["marts"]:
            stale = " (older inputs)" if m["inputs_as_of"] and m["inputs_as_of"] < m["as_of"] else ""
            lines.append(
                f"  {m['table_name']:<26}{m['rows']:>12,}  {m['as_of']!s:<12}{m['inputs_as_of'] or '-'}{stale}"
            )
    lines += ["", f"Quarantined batches: {len(status['quarantined'])}"]
    for q in status["quarantined"]:
        window = "..".join(str(x) for x in q.get("window") or [])
        failed = ", ".join(str(f) for f in q["failed"]) or "see eea quarantine list"
        lines.append(f"  {q['batch_id']}  {q['dataset']} from {q['source']}, {q['rows']:,} rows, {window}: {failed}")
    if status["quarantined"]:
        lines.append("  (eea quarantine list shows why; release or drop them)")
    return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


# Where each provider answers; a GET of its base URL only shows it is reachable (any HTTP status counts).
def _provider_urls(settings: Settings) -> dict[str, str]:
    return {
        "yahoo": settings.yahoo_url,
        "stooq": settings.stooq_url,
        "cboe": settings.cboe_url,
        "fred": settings.fred_api_url if settings.fred_api_key or settings.fred_api_key_block else settings.fred_url,
        "sec": settings.sec_data_url,
        "fmp": settings.fmp_url,
        "ishares": settings.ishares_small_cap_url,
    }


def _keys(settings: Settings, provider: str) -> Check | None:
    needs = {"fmp": ("fmp_api_key", "fmp_api_key_block", "EEA_FMP_API_KEY")}
    if provider == "fred":
        has = settings.fred_api_key is not None or settings.fred_api_key_block
        detail = "API key set" if has else "no key: the public fredgraph CSV is used (no key needed)"
        return Check("key fred", True, detail)
    if provider not in needs:
        return None
    value, block, env = needs[provider]
    if getattr(settings, value) is not None:
        return Check(f"key {provider}", True, f"{env} is set (value not shown)")
    if getattr(settings, block):
        return Check(
            f"key {provider}", True, f"read at run time from the Prefect Secret block {getattr(settings, block)!r}"
        )
    return Check(f"key {provider}", False, f"missing: set {env} or {env}_BLOCK (a Prefect Secret block)")


def doctor(timeout: float = 5.0) -> list[Check]:
    """Settings, keys, reachability of each configured provider, free disk: one check each."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        return [Check("settings", False, str(exc))]
    checks = [Check("settings", True, "all EEA_* settings are valid")]
    used: dict[str, list[str]] = {}
    for dataset in DATASETS:
        used.setdefault(settings.source_for(dataset), []).append(dataset)
    urls = _provider_urls(settings)
    headers = {"User-Agent": settings.sec_user_agent or "eea-doctor"}
    for provider, datasets in sorted(used.items()):
        what = ", ".join(datasets)
        if provider == "demo":
            checks.append(Check(f"provider {provider}", True, f"built in, offline ({what})"))
            continue
        if provider == "files":
            for dataset, folder in (("transcripts", settings.transcripts_dir), ("estimates", settings.estimates_dir)):
                if dataset in datasets:
                    ok = folder is not None and Path(folder).is_dir()
                    detail = f"{folder} ({dataset})" if ok else f"EEA_{dataset.upper()}_DIR is not a folder: {folder}"
                    checks.append(Check(f"provider files/{dataset}", ok, detail))
            continue
        key = _keys(settings, provider)
        if key:
            checks.append(key)
        url = urls.get(provider)
        if url is None:
            continue
        try:
            res = httpx.get(url, timeout=timeout, headers=headers, follow_redirects=False)
            checks.append(Check(f"provider {provider}", True, f"{url} answered HTTP {res.status_code} ({what})"))
        except httpx.HTTPError as exc:
            checks.append(Check(f"provider {provider}", False, f"{url} unreachable: {type(exc).__name__} ({what})"))
    lake = lake_for(settings)
    if isinstance(lake, S3Lake):
        try:
            lake.check()
            checks.append(Check("lake", True, f"{lake.describe()}: bucket reachable"))
        except LakeError as exc:
            checks.append(Check("lake", False, str(exc)))
    data_dir = settings.data_dir
    probe = data_dir if data_dir.exists() else data_dir.parent
    free = shutil.disk_usage(probe).free
    size = settings.warehouse_path.stat().st_size if settings.warehouse_path.exists() else 0
    # A run copies the published file and writes the lake beside it.
    need = max(MIN_FREE_BYTES, 3 * size)
    checks.append(
        Check(
            "disk", free >= need, f"{free / 1024**3:.1f} GiB free in {probe} (a run needs about {need / 1024**3:.1f})"
        )
    )
    return checks


def format_checks(checks: list[Check]) -> str:
    return "\n".join(f"  {'ok  ' if c.ok else 'FAIL'}  {c.name:<24}{c.detail}" for c in checks)


def status_json(status: dict[str, Any]) -> str:
    return json.dumps(status, default=lambda v: v.isoformat() if isinstance(v, date) else str(v), indent=2)
