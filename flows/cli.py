"""The `eea` command: run the nightly pipeline, backfill, load files, query, status, report, export, doctor."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

_T0 = time.perf_counter()

import flows  # noqa: E402,F401  (configures Prefect before it is imported)
from config.settings import Settings, SettingsError, load_settings  # noqa: E402
from warehouse.store import WarehouseError, connect_readonly  # noqa: E402


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def published_tables(settings: Settings) -> list[tuple[str, int, date | None]]:
    """(table, rows, as_of) for every mart and raw dataset of the published warehouse."""
    from flows.runtime import lake_for

    con = connect_readonly(settings.data_dir, lake_for(settings))
    try:
        builds = dict(con.execute("SELECT table_name, as_of FROM meta.table_builds").fetchall())
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name"
            ).fetchall()
        ]
        out = []
        for name in names:
            rows = con.execute(f'SELECT count(*) FROM main."{name}"').fetchone()[0]  # type: ignore[index]
            out.append((name, rows, builds.get(name)))
        for name, last in con.execute(
            "SELECT dataset, max(window_end) FROM meta.batches GROUP BY dataset ORDER BY dataset"
        ).fetchall():
            rows = con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0]  # type: ignore[index]
            out.append((f"raw.{name}", rows, last))
        return out
    finally:
        con.close()


def print_summary(settings: Settings, result: dict[str, Any]) -> None:
    path = settings.warehouse_path
    print()
    print(f"Published warehouse: {path}")
    print(f"  run {result['run_id']} ({result['kind']}), as of {result['as_of']}")
    print(f"  {'table':<28}{'rows':>14}  as of")
    for name, rows, as_of in published_tables(settings):
        print(f"  {name:<28}{rows:>14,}  {as_of or '-'}")
    try:
        shown = path.relative_to(Path.cwd())
    except ValueError:
        shown = path
    print()
    print(
        f'Query it: .venv/bin/eea query "SELECT * FROM index_membership WHERE valid_to IS NULL LIMIT 5"   '
        f"(or duckdb.connect('{shown}', read_only=True) from Python)"
    )


def _cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.resolved_as_of(args.as_of)  # a bad setting stops here, before Prefect starts
    from flows.datasets import FLOW_DATASETS
    from flows.marts import MARTS
    from flows.nightly import nightly
    from flows.progress import progress

    # At a terminal a bar: one step per dataset flow, per mart, and the publish.
    with progress(len(FLOW_DATASETS) + len(MARTS) + 1, "nightly"):
        result = nightly(as_of=args.as_of)
    result["timings"]["process start to flow end"] = round(time.perf_counter() - _T0, 3)
    print_summary(settings, result)
    return 0


def _cmd_backfill(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.end < args.start:
        raise SettingsError(f"backfill end {args.end} is before start {args.start}")
    settings.resolved_as_of(args.end)
    from flows.datasets import FLOW_DATASETS
    from flows.marts import MARTS
    from flows.nightly import backfill
    from flows.progress import progress

    with progress(len(FLOW_DATASETS) + len(MARTS) + 1, "backfill"):
        result = backfill(start=args.start, end=args.end)
    print_summary(settings, result)
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.resolved_as_of(args.as_of)
    from flows.load import load
    from sources.base import SourceError

    try:
        result = load(
            dataset=args.dataset,
            provider=args.source,
            files=args.files,
            as_of=args.as_of,
            ticker=args.ticker,
            downloaded=args.downloaded,
        )
    except SourceError as exc:
        print(f"eea: nothing was loaded: {exc}", file=sys.stderr)
        return 1
    print_summary(settings, result)
    for reason in result.get("refused", []):
        print(f"eea: refused: {reason}", file=sys.stderr)
    return 0


def _cmd_quarantine(args: argparse.Namespace) -> int:
    settings = load_settings()
    from warehouse.store import quarantined

    if args.action == "list":
        records = quarantined(settings.data_dir)
        if not records:
            print("no batch is in quarantine")
        for r in records:
            failed = [x for x in r.get("results", []) if not x.get("success") and x.get("severity") == "critical"]
            print(
                f"{r['batch_id']}  {r['dataset']}  from {r['source']}  {r['rows']:,} rows  {r['window'][0]}..{r['window'][1]}"
            )
            for x in failed:
                print(
                    f"    {x.get('expectation')}: {x.get('unexpected_count')} rows, e.g. {x.get('unexpected_sample')}"
                )
        return 0
    if not args.batch:
        raise SettingsError(f"eea quarantine {args.action} needs a batch id (see eea quarantine list)")
    if args.action == "drop":
        from flows.quarantine import drop

        record = drop(settings.data_dir, args.batch)
        print(f"dropped {record['batch_id']} ({record['rows']:,} rows of {record['dataset']})")
        return 0
    from flows.quarantine import release

    result = release(batch_id=args.batch)
    print_summary(settings, result)
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    from flows.runtime import lake_for

    settings = load_settings()
    con = connect_readonly(settings.data_dir, lake_for(settings))
    try:
        rel = con.sql(args.sql)
        if args.csv:
            rel.write_csv(args.csv)
            print(f"wrote {args.csv}")
        elif args.parquet:
            rel.write_parquet(args.parquet)
            print(f"wrote {args.parquet}")
        else:
            rel.show(max_rows=args.max_rows, max_width=200)
    finally:
        con.close()
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from flows.status import format_status, status_json, warehouse_status

    status = warehouse_status(load_settings(), runs=args.runs)
    print(status_json(status) if args.json else format_status(status))
    return 1 if "error" in status else 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from flows.status import doctor, format_checks

    checks = doctor(timeout=args.timeout)
    print(format_checks(checks))
    failed = [c.name for c in checks if not c.ok]
    print(
        f"\n{len(checks) - len(failed)} of {len(checks)} checks passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from flows.explain import explain_rows, format_explain

    day, rows = explain_rows(load_settings(), args.ticker, args.as_of)
    if args.csv:
        rows.to_csv(args.csv, index=False)
        print(f"wrote {len(rows)} rows to {args.csv}")
    else:
        print(format_explain(args.ticker, day, rows))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from flows.report import write_report

    path = write_report(load_settings().data_dir)
    print(f"wrote {path}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from flows.export import export_parquet

    path = export_parquet(load_settings().data_dir, Path(args.target) if args.target else None)
    print(f"wrote the marts as Parquet, a folder per table, and DATA_DICTIONARY.md into {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eea", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the nightly pipeline for one as-of date")
    run.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD; default: last settled trading day")
    run.set_defaults(func=_cmd_run)
    bf = sub.add_parser("backfill", help="land every dataset for the trading days in a date range")
    bf.add_argument("start", type=_date)
    bf.add_argument("end", type=_date)
    bf.set_defaults(func=_cmd_backfill)
    ld = sub.add_parser("load", help="load downloaded payloads through the same parser and warehouse path")
    ld.add_argument("dataset", help="constituents, prices, rates, fundamentals, companies or options")
    ld.add_argument("--source", required=True, help="the provider whose format the files are in")
    ld.add_argument("--as-of", type=_date, default=None, help="run date; rows dated after it do not land")
    ld.add_argument("--ticker", default=None, help="ticker, where the payload does not name it")
    ld.add_argument(
        "--downloaded",
        type=_date,
        default=None,
        help="YYYY-MM-DD the files were downloaded: the basis day of Stooq and Cboe adjusted bars (required for them)",
    )
    ld.add_argument("files", nargs="+")
    ld.set_defaults(func=_cmd_load)
    qu = sub.add_parser("quarantine", help="list, release or drop batches that failed the validation gate")
    qu.add_argument("action", choices=["list", "release", "drop"])
    qu.add_argument("batch", nargs="?", default=None)
    qu.set_defaults(func=_cmd_quarantine)
    q = sub.add_parser("query", help="run SQL on the published warehouse, read-only")
    q.add_argument("sql")
    q.add_argument("--csv", help="write the result to this CSV file")
    q.add_argument("--parquet", help="write the result to this Parquet file")
    q.add_argument("--max-rows", type=int, default=40)
    q.set_defaults(func=_cmd_query)
    st = sub.add_parser("status", help="last runs, freshness per dataset, marts' input dates, quarantined batches")
    st.add_argument("--runs", type=int, default=10, help="how many recent runs to list")
    st.add_argument("--json", action="store_true", help="print JSON instead of text")
    st.set_defaults(func=_cmd_status)
    dr = sub.add_parser("doctor", help="check settings, keys, each configured provider's reachability, free disk")
    dr.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each provider")
    dr.set_defaults(func=_cmd_doctor)
    xp = sub.add_parser(
        "explain",
        help="every number of one member's model result and the filing it came from, e.g. eea explain ACME",
    )
    xp.add_argument("ticker")
    xp.add_argument(
        "--as-of", type=_date, default=None, help="YYYY-MM-DD; default the published as-of (earlier dates recomputed)"
    )
    xp.add_argument("--csv", help="write the rows to this CSV file instead of printing them")
    xp.set_defaults(func=_cmd_explain)
    rp = sub.add_parser("report", help="write the HTML report of the published warehouse (data/reports/report.html)")
    rp.set_defaults(func=_cmd_report)
    ex = sub.add_parser("export", help="write every mart as Parquet, a folder per table, with the data dictionary")
    ex.add_argument("--target", default=None, help="folder to write into; default data/export")
    ex.set_defaults(func=_cmd_export)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"eea: {exc}", file=sys.stderr)
        return 2
    except WarehouseError as exc:
        print(f"eea: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
