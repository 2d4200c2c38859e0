"""SEC Financial Statement Data Sets: one quarter's bulk zip (sub.txt, num.txt, tag.txt, pre.txt) -> raw `fundamentals`.

The rows are the ones sources.sec.parse_companyfacts gives for the same facts, column for column. Mapping (the
field definitions are in the zip's readme.htm):
- accession = num/sub `adsh`; cik, form = sub.txt `cik`, `form` of that adsh; filed = sub.txt `filed` (yyyymmdd);
  fiscal_year, fiscal_period = sub.txt `fy`, `fp` (the filing's fiscal focus, as companyfacts' fy/fp; empty -> null);
- taxonomy = num.txt `version` up to its '/' ('us-gaap/2009' -> 'us-gaap', 'dei/2009' -> 'dei'); concept = `tag`;
- period_end = `ddate`. SEC rounds it to the nearest month end, so a 52/53-week year ending 2009-06-27 lands as
  2009-06-30 (companyfacts holds the exact day; the two providers' rows for one fact differ in period_end);
- `qtrs` is the duration in quarters: 0 is an instant (period_start null); n > 0 starts on the first day of the
  month 3n-1 months before ddate's month, i.e. the day after the month end 3n months earlier (qtrs 4 ending
  2009-06-30 starts 2008-07-01: 365 days, 366 over a 29 February). From qtrs alone a 52/53-week year's own start
  is not known, so it is given as whole months, always inside annual_statements' 340-390 days. A ddate that is
  not a month end breaks that rule and refuses the file;
- unit = `uom`, except a tag whose tag.txt `datatype` is perShare, which FSDS gives in the currency alone ('USD')
  and companyfacts as 'USD/shares': it gets '/shares' appended (a uom already holding '/' is kept);
- value = `value`; frame = null (companyfacts' calendar frame is not in FSDS); ticker = null, or the cik's ticker
  where the caller passes a cik -> ticker map (sources.sec.parse_company_tickers gives ticker -> cik).

Left out and counted (QuarterFacts.left_out), each row under the first reason that applies, in this order:
- `coreg` set: a co-registrant's (parent-only, guarantor, subsidiary) figure, not the filer's consolidated one;
- `segments` set: a dimensional (axis/member) figure, which companyfacts does not carry either;
- a company extension (`version` is an accession, not a taxonomy): companyfacts publishes standard taxonomies only,
  and annual_statements reads us-gaap only, so an extension fact would be in one provider's rows and not the other's;
- a null `value`.
Duplicates on the raw key (cik, taxonomy, concept, unit, period_start, period_end, filed) - a same-day amendment, or
one tag under two us-gaap versions - keep one row as sources.sec._dedupe does (the greatest accession, then value,
fy, fp, form), counting what was dropped and the keys whose values differed. tag.txt is read for datatype only;
pre.txt is not read. num.txt (14 MB a quarter) is read with pyarrow.csv and mapped with vector operations.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from sources.base import SourceError
from warehouse.ddl import raw_dataset

PROVIDER = "sec_fsds"
NUM_COLUMNS = ("adsh", "tag", "version", "ddate", "qtrs", "uom", "segments", "coreg", "value")
SUB_COLUMNS = ("adsh", "cik", "form", "fy", "fp", "filed")
TAG_COLUMNS = ("tag", "version", "datatype")
# How many faulty rows an error message names before it only counts the rest.
NAMED_FAULTS = 5
# Reasons a num.txt row is left out, in the order they are tested.
COREG, SEGMENTS, EXTENSION, NULL_VALUE = (
    "co-registrant (coreg set)",
    "dimensional (segments set)",
    "company extension (version is an accession)",
    "null value",
)


@dataclass(frozen=True)
class QuarterFacts:
    """One quarter's zip read: raw `fundamentals` rows (no stamps) and what was left out, for logging."""

    fundamentals: pa.Table
    num_rows: int  # data rows in num.txt
    left_out: dict[str, int]  # reason -> num.txt rows left out for it
    duplicates_dropped: int  # rows dropped because another row had the same raw key
    conflicting_keys: int  # raw keys whose duplicates disagreed on the value


def _fail(origin: str, member: str, what: str) -> SourceError:
    return SourceError(f"{PROVIDER}: {origin}: {member}: {what}")


def _rows(origin: str, member: str, what: str, lines: np.ndarray) -> SourceError:
    """An error naming the file lines (1 is the header) of the rows at fault."""
    named = ", ".join(str(int(i)) for i in lines[:NAMED_FAULTS])
    more = f" (and {len(lines) - NAMED_FAULTS} more)" if len(lines) > NAMED_FAULTS else ""
    return _fail(origin, member, f"{what} on line {named}{more}")


def _member(archive: zipfile.ZipFile, name: str, origin: str) -> bytes:
    # The zip's files sit at its root; a re-zipped copy may have put them in a folder.
    for info in archive.infolist():
        if info.filename.rsplit("/", 1)[-1] == name:
            return archive.read(info)
    raise _fail(origin, name, f"not in the zip (it holds {', '.join(sorted(archive.namelist())[:8])})")


def _table(
    data: bytes, member: str, origin: str, columns: tuple[str, ...], types: Mapping[str, pa.DataType]
) -> pa.Table:
    """One tab-separated member, only `columns`, as strings unless typed; every named column must be in the header."""
    header = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r").split("\t")
    missing = [c for c in columns if c not in header]
    if missing:
        raise _fail(origin, member, f"no column {', '.join(missing)} in the header ({', '.join(header[:12])})")
    try:
        return pcsv.read_csv(
            io.BytesIO(data),
            # SEC's text fields hold bare quotes; the format has no quoting.
            parse_options=pcsv.ParseOptions(delimiter="\t", quote_char=False),
            convert_options=pcsv.ConvertOptions(
                include_columns=list(columns),
                column_types={c: types.get(c, pa.string()) for c in columns},
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _fail(origin, member, f"cannot be read as tab-separated UTF-8: {str(exc).splitlines()[0]}") from exc


def _dates(values: pa.ChunkedArray, member: str, column: str, origin: str) -> pa.Array:
    """yyyymmdd strings to date32; any other text refuses the file, naming its lines."""
    text = values.combine_chunks()
    parsed = pc.strptime(text, format="%Y%m%d", unit="s", error_is_null=True)
    bad = pc.or_(pc.is_null(parsed), pc.invert(pc.match_substring_regex(text, r"^\d{8}$")))
    bad_rows = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
    if len(bad_rows):
        raise _rows(origin, member, f"{column} is not a yyyymmdd date", bad_rows + 2)
    return parsed.cast(pa.date32())


def _nullable(values: pa.ChunkedArray) -> pa.Array:
    """SEC's empty strings as null."""
    text = values.combine_chunks()
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _submissions(archive: zipfile.ZipFile, origin: str) -> pa.Table:
    """sub.txt: adsh, cik, form, fiscal_year, fiscal_period, filed, unique per adsh."""
    sub = _table(_member(archive, "sub.txt", origin), "sub.txt", origin, SUB_COLUMNS, {"cik": pa.int64()})
    adsh = sub.column("adsh").combine_chunks()
    if pc.count_distinct(adsh).as_py() != len(adsh):
        counts = pc.value_counts(adsh)
        twice = [str(v) for v, n in zip(counts.field(0).to_pylist(), counts.field(1).to_pylist(), strict=True) if n > 1]
        raise _fail(origin, "sub.txt", f"adsh listed twice: {', '.join(twice[:NAMED_FAULTS])}")
    cik = sub.column("cik").combine_chunks()
    bad_cik = np.flatnonzero(pc.fill_null(pc.less_equal(cik, 0), True).to_numpy(zero_copy_only=False))
    if len(bad_cik):
        raise _rows(origin, "sub.txt", "cik is not a positive number", bad_cik + 2)
    fy = _nullable(sub.column("fy"))
    fy_ok = pc.or_(pc.is_null(fy), pc.match_substring_regex(fy, r"^\d{4}$"))
    bad_fy = np.flatnonzero(pc.invert(pc.fill_null(fy_ok, True)).to_numpy(zero_copy_only=False))
    if len(bad_fy):
        raise _rows(origin, "sub.txt", "fy is not a year", bad_fy + 2)
    return pa.table(
        {
            "adsh": adsh,
            "cik": cik,
            "form": _nullable(sub.column("form")),
            "fiscal_year": fy.cast(pa.int32()),
            "fiscal_period": _nullable(sub.column("fp")),
            "filed": _dates(sub.column("filed"), "sub.txt", "filed", origin),
        }
    )


def _per_share(archive: zipfile.ZipFile, origin: str) -> pa.Table:
    """tag.txt's (tag, version) pairs whose datatype is perShare."""
    tags = _table(_member(archive, "tag.txt", origin), "tag.txt", origin, TAG_COLUMNS, {})
    return tags.filter(pc.equal(tags.column("datatype"), "perShare")).select(["tag", "version"])


def _period_start(end: pa.Array, qtrs: np.ndarray) -> pa.Array:
    """The day after the month end 3*qtrs months before `end` (a month end); null for an instant (qtrs 0)."""
    end_day = end.cast(pa.int32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    month = end_day.astype("datetime64[M]")
    start = (month - (3 * qtrs - 1).astype("timedelta64[M]")).astype("datetime64[D]")
    return pa.array(start, pa.date32(), mask=qtrs == 0)


def _dedupe(frame: pd.DataFrame) -> tuple[np.ndarray, int, int]:
    """Row positions to keep, one per raw key, in sources.sec's output order; with the number dropped and conflicts.

    Same choice as sources.sec._dedupe (see its docstring): the greatest (accession, value, fiscal_year,
    fiscal_period, form) wins; keys whose values differ are counted, not resolved silently.
    """
    key = ["cik", "taxonomy", "concept", "unit", "has_start", "start", "end", "filed"]
    rank = ["accession", "value", "fy", "fp", "form"]
    ordered = frame.sort_values([*key, *rank], kind="stable")
    kept = ordered.drop_duplicates(key, keep="last")
    conflicting = int((ordered.groupby(key, sort=False)["value"].nunique() > 1).sum())
    # sources.sec._order: by concept, then period end, an instant before durations ending that day, then filed.
    kept = kept.sort_values(["cik", "taxonomy", "concept", "unit", "end", "has_start", "start", "filed"], kind="stable")
    return kept["row"].to_numpy(), len(frame) - len(kept), conflicting


def read_fsds(payload: bytes, *, origin: str, tickers: Mapping[int, str] | None = None) -> QuarterFacts:
    """One quarter's FSDS zip to raw `fundamentals` (one row per fact and raw key) and counts; see the module docstring.

    `tickers` maps cik -> ticker for the ticker column; without it the column is null (sub.txt names no ticker).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{PROVIDER}: {origin}: not a zip file ({exc})") from exc
    with archive:
        sub = _submissions(archive, origin)
        per_share = _per_share(archive, origin)
        num = _table(
            _member(archive, "num.txt", origin),
            "num.txt",
            origin,
            NUM_COLUMNS,
            {"qtrs": pa.int32(), "value": pa.float64()},
        )
    total = num.num_rows
    line = np.arange(total) + 2

    version = num.column("version").combine_chunks()
    standard = pc.match_substring(version, "/").to_numpy(zero_copy_only=False)
    coreg = pc.not_equal(num.column("coreg"), "").to_numpy(zero_copy_only=False)
    segments = pc.not_equal(num.column("segments"), "").to_numpy(zero_copy_only=False)
    null_value = pc.is_null(num.column("value")).to_numpy(zero_copy_only=False)
    left_out: dict[str, int] = {}
    keep = np.ones(total, dtype=bool)
    for reason, mask in ((COREG, coreg), (SEGMENTS, segments), (EXTENSION, ~standard), (NULL_VALUE, null_value)):
        left_out[reason] = int((keep & mask).sum())
        keep &= ~mask
    num = num.filter(pa.array(keep))
    line = line[keep]

    position = pc.index_in(num.column("adsh"), value_set=sub.column("adsh"))
    orphan = np.flatnonzero(pc.is_null(position).to_numpy(zero_copy_only=False))
    if len(orphan):
        raise _rows(origin, "num.txt", "adsh not in sub.txt", line[orphan])
    filing = sub.take(position)

    qtrs = num.column("qtrs").combine_chunks()
    bad_qtrs = np.flatnonzero(pc.fill_null(pc.less(qtrs, 0), True).to_numpy(zero_copy_only=False))
    if len(bad_qtrs):
        raise _rows(origin, "num.txt", "qtrs is not a count of quarters", line[bad_qtrs])
    end = _dates(num.column("ddate"), "num.txt", "ddate", origin)
    end_day = end.cast(pa.int32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    not_month_end = np.flatnonzero((end_day + 1).astype("datetime64[M]") == end_day.astype("datetime64[M]"))
    if len(not_month_end):
        raise _rows(origin, "num.txt", "ddate is not a month end (FSDS rounds it to one)", line[not_month_end])
    qtrs_np = qtrs.to_numpy(zero_copy_only=False).astype("int64")
    start = _period_start(end, qtrs_np)

    tag = num.column("tag").combine_chunks()
    uom = num.column("uom").combine_chunks()
    pair = pc.binary_join_element_wise(tag, num.column("version").combine_chunks(), "\t")
    per_share_pairs = pc.binary_join_element_wise(per_share.column("tag"), per_share.column("version"), "\t")
    currency = pc.invert(pc.or_(pc.match_substring(uom, "/"), pc.is_in(uom, value_set=pa.array(["shares", "pure"]))))
    unit = pc.if_else(
        pc.and_(pc.is_in(pair, value_set=per_share_pairs.combine_chunks()), currency),
        pc.binary_join_element_wise(uom, pa.scalar("/shares"), ""),
        uom,
    )
    taxonomy = pc.list_element(pc.split_pattern(num.column("version").combine_chunks(), "/"), 0)
    cik = filing.column("cik").combine_chunks()
    ticker_values: list[str | None] = [None] * num.num_rows
    if tickers:
        ticker_values = [tickers.get(c) for c in cik.to_pylist()]
    schema = raw_dataset("fundamentals").arrow_schema(without_stamps=True)
    facts = pa.table(
        {
            "cik": cik,
            "ticker": pa.array(ticker_values, pa.string()),
            "taxonomy": taxonomy,
            "concept": tag,
            "unit": unit,
            "period_start": start,
            "period_end": end,
            "value": num.column("value").combine_chunks(),
            "fiscal_year": filing.column("fiscal_year"),
            "fiscal_period": filing.column("fiscal_period"),
            "form": filing.column("form"),
            "filed": filing.column("filed"),
            "accession": filing.column("adsh"),
            "frame": pa.nulls(num.num_rows, pa.string()),
        }
    ).cast(schema)

    start_days = start.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
    frame = pd.DataFrame(
        {
            "cik": cik.to_numpy(zero_copy_only=False),
            "taxonomy": taxonomy.to_numpy(zero_copy_only=False),
            "concept": tag.to_numpy(zero_copy_only=False),
            "unit": unit.to_numpy(zero_copy_only=False),
            "has_start": qtrs_np > 0,
            "start": start_days,
            "end": end.cast(pa.int32()).to_numpy(zero_copy_only=False),
            "filed": facts.column("filed").cast(pa.int32()).to_numpy(),
            "accession": facts.column("accession").fill_null("").to_numpy(),
            "value": facts.column("value").to_numpy(),
            "fy": facts.column("fiscal_year").fill_null(0).to_numpy(),
            "fp": facts.column("fiscal_period").fill_null("").to_numpy(),
            "form": facts.column("form").fill_null("").to_numpy(),
            "row": np.arange(num.num_rows),
        }
    )
    rows, dropped, conflicting = _dedupe(frame)
    return QuarterFacts(facts.take(pa.array(rows)), total, left_out, dropped, conflicting)


def parse_fsds(payload: bytes, *, origin: str, tickers: Mapping[int, str] | None = None) -> pa.Table:
    """One quarter's FSDS zip to raw `fundamentals` rows, no stamps; see read_fsds."""
    return read_fsds(payload, origin=origin, tickers=tickers).fundamentals
