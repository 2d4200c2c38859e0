"""Analyst consensus payloads to raw.estimates rows (ticker, fiscal_year, as_of): terminal CSV exports and FMP's JSON."""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Mapping
from datetime import date
from pathlib import PurePath
from typing import Any

import pyarrow as pa

from sources.base import SourceError
from sources.payload import contract, decode_text, finite_number, iso_day

FMP = "Financial Modeling Prep"
COLUMNS: tuple[str, ...] = ("ticker", "fiscal_year", "as_of", "revenue", "earnings", "eps", "analysts")
# Headers a column is found by when the mapping does not name one, compared after _norm (case, spaces and
# underscores folded), own name first. Kept short on purpose: a header that could mean two things (Sales,
# Date, Period) must be mapped explicitly in EEA_ESTIMATES_COLUMNS.
ALIASES: dict[str, tuple[str, ...]] = {
    "ticker": ("ticker", "symbol"),
    "fiscal_year": ("fiscal year", "fy"),
    "as_of": ("as of", "as of date"),
    "revenue": ("revenue",),
    "earnings": ("earnings", "net income"),
    "eps": ("eps",),
    "analysts": ("analysts", "# analysts", "num analysts"),
}
# Cells that mean "no estimate" in terminal exports (compared case-insensitively).
MISSING: frozenset[str] = frozenset({"", "-", "--", "\u2013", "\u2014", "n/a", "na", "#n/a", "nm", "null"})
_FISCAL_YEAR = (
    re.compile(r"^(?:FY\s*)?((?:19|20|21)\d{2})E?$", re.IGNORECASE),  # 2026, FY2026, FY 2026, 2026E
    re.compile(r"^\d{1,2}/((?:19|20|21)\d{2})$"),  # 12/2026: month and year of the fiscal year end
    re.compile(r"^((?:19|20|21)\d{2})\.0+$"),  # 2026.0, as a spreadsheet saves a whole number
)
_US_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NAME_DAY = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_SHOWN = 20


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().casefold())


def date_in_name(origin: str) -> date | None:
    """The YYYY-MM-DD in a file's name (the day its consensus was read), or None when there is none or it is no day."""
    for match in _NAME_DAY.finditer(PurePath(origin).name):
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            continue
    return None


def _decode(payload: bytes, origin: str) -> str:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        # Terminals on Windows export cp1252 (company names with accents, en dashes for "no estimate"); cp1252
        # leaves five bytes undefined, which are replaced rather than refusing the file over a name.
        payload = payload.removeprefix(codecs.BOM_UTF8).decode("cp1252", errors="replace").encode("utf-8")
    return decode_text(payload, provider="estimates", origin=origin, expected="a CSV of analyst estimates")


def _delimiter(header_line: str) -> str:
    # Exports from European-locale spreadsheets use ';', some terminals tab; the header holds no quoted numbers.
    return max((",", ";", "\t"), key=header_line.count)


def _resolve(headers: list[str], columns: Mapping[str, str], origin: str) -> dict[str, int]:
    """Our column -> index of the file's header, from the mapping first, then by own name and aliases."""
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise SourceError(
            f"estimates {origin}: the column mapping names {', '.join(map(repr, unknown))}, which are not "
            f"estimate columns; map some of {', '.join(COLUMNS)}"
        )
    shown = ", ".join(repr(h) for h in headers)
    normed = [_norm(h) for h in headers]
    found: dict[str, int] = {}
    for ours, theirs in columns.items():
        exact = [i for i, h in enumerate(headers) if h.strip() == theirs.strip()]
        hits = exact or [i for i, h in enumerate(normed) if h == _norm(theirs)]
        if not hits:
            raise SourceError(
                f"estimates {origin}: the column mapping reads {ours} from {theirs!r}, which the file does not "
                f"have; its headers are {shown}"
            )
        if len(hits) > 1:
            raise SourceError(f"estimates {origin}: {len(hits)} headers match {theirs!r} (mapped to {ours})")
        found[ours] = hits[0]
    taken = set(found.values())
    for ours, names in ALIASES.items():
        if ours in found:
            continue
        for name in names:
            hits = [i for i, h in enumerate(normed) if h == name and i not in taken]
            if len(hits) > 1:
                raise SourceError(
                    f"estimates {origin}: {len(hits)} headers could be {ours} ({', '.join(repr(headers[i]) for i in hits)}); "
                    "map one in EEA_ESTIMATES_COLUMNS"
                )
            if hits:
                found[ours] = hits[0]
                taken.add(hits[0])
                break
    for ours in ("ticker", "fiscal_year"):
        if ours not in found:
            raise SourceError(
                f"estimates {origin}: no {ours} column (looked for {', '.join(map(repr, ALIASES[ours]))}, any case); "
                f"its headers are {shown}; map it in EEA_ESTIMATES_COLUMNS"
            )
    if "earnings" not in found and "eps" not in found:
        raise SourceError(
            f"estimates {origin}: no earnings or eps column (looked for "
            f"{', '.join(map(repr, ALIASES['earnings'] + ALIASES['eps']))}, any case); its headers are {shown}"
        )
    return found


def _fiscal_year(text: str) -> int:
    text = text.strip()
    for pattern in _FISCAL_YEAR:
        if match := pattern.match(text):
            return int(match.group(1))
    raise ValueError(f"fiscal year {text!r} is not a year (2026, FY2026 or 12/2026)")


def _number(text: str, label: str) -> float | None:
    text = text.strip()
    if text.casefold() in MISSING:
        return None
    negative = text.startswith("(") and text.endswith(")")  # accounting notation: (12.5) is -12.5
    clean = text.strip("()").replace(",", "").replace("$", "").strip()
    try:
        value = finite_number(clean, label)
    except ValueError:
        raise ValueError(f"{label} {text!r} is not a number") from None
    if value is None:
        raise ValueError(f"{label} {text!r} is not a number")
    return -value if negative else value


def _analysts(text: str) -> int | None:
    value = _number(text, "analysts")
    if value is None:
        return None
    if value < 0 or value != int(value):
        raise ValueError(f"analysts {text.strip()!r} is not a count")
    return int(value)


def _day(text: str) -> date | None:
    text = text.strip()
    if text.casefold() in MISSING:
        return None
    if match := _US_DAY.match(text):
        try:
            return date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
        except ValueError:
            pass
    else:
        try:
            return iso_day(text[:10] if len(text) > 10 and text[10] in " T" else text)
        except ValueError:
            pass
    raise ValueError(f"as_of {text!r} is not a day (YYYY-MM-DD or MM/DD/YYYY)")


def _refuse(origin: str, problems: list[tuple[int, str]]) -> SourceError:
    rows = sorted({n for n, _ in problems})
    listed = "; ".join(f"row {n}: {why}" for n, why in problems[:_SHOWN])
    more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
    return SourceError(
        f"estimates {origin}: refused, the whole file: {len(rows)} bad rows "
        f"({', '.join(map(str, rows[:_SHOWN]))}{', ...' if len(rows) > _SHOWN else ''}): {listed}{more}"
    )


def parse_estimates_csv(
    payload: bytes,
    *,
    origin: str,
    columns: Mapping[str, str],
    scale: float = 1.0,
    as_of: date | None = None,
) -> pa.Table:
    """A terminal's CSV of consensus estimates -> raw.estimates rows (unstamped), one per data row, file order.

    `columns` maps our names (COLUMNS) to the file's headers; the others are found by ALIASES. Revenue and
    earnings are multiplied by `scale` (1e6 for an export in millions), EPS and analysts never. as_of comes from
    an as_of column, a row whose cell is blank from the `as_of` argument. Every row must have a ticker, a
    fiscal year, an as_of and an earnings or EPS value, and no two rows the same (ticker, fiscal_year, as_of);
    otherwise the whole file is refused with a SourceError naming its bad data rows (row 1 is the line after
    the header). Blank lines are skipped but counted, so row n is line n + 1 of the file.
    """
    schema = contract("estimates")
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive multiplier, got {scale!r}")
    text = _decode(payload, origin)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise SourceError(f"estimates {origin}: the file is empty (no header)")
    head = next(line for line in lines if line.strip())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(head))
    header: list[str] | None = None
    for row in reader:
        if any(cell.strip() for cell in row):
            header = row
            break
    assert header is not None  # a non-blank line exists
    found = _resolve(header, columns, origin)
    if "as_of" not in found and as_of is None:
        raise SourceError(
            f"estimates {origin}: no as_of column and no as-of day given; put the day the consensus was read in "
            "the file name (YYYY-MM-DD) or add an as_of column"
        )
    out: list[dict[str, Any]] = []
    problems: list[tuple[int, str]] = []
    keys: dict[tuple[str, int, date], int] = {}
    for n, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if any(c.strip() for c in cells[len(header) :]):
            problems.append((n, f"{len(cells)} cells for {len(header)} headers (an unquoted 1,234?)"))
            continue
        cells = cells[: len(header)] + [""] * (len(header) - len(cells))

        def cell(ours: str, cells: list[str] = cells) -> str:
            return cells[found[ours]].strip() if ours in found else ""

        why: list[str] = []
        ticker = cell("ticker").upper()
        if ticker.casefold() in MISSING:
            why.append("no ticker")
        values: dict[str, Any] = {}
        for ours, parse in (
            ("fiscal_year", _fiscal_year),
            ("as_of", _day),
            ("revenue", lambda t: _number(t, "revenue")),
            ("earnings", lambda t: _number(t, "earnings")),
            ("eps", lambda t: _number(t, "eps")),
            ("analysts", _analysts),
        ):
            raw = cell(ours)
            if ours == "fiscal_year" and raw.casefold() in MISSING:
                why.append("no fiscal year")
                continue
            try:
                values[ours] = parse(raw) if ours in found else None
            except ValueError as exc:
                why.append(str(exc))
        day = values.get("as_of") or as_of
        if "as_of" in found and day is None and "as_of" in values:
            why.append("no as_of")
        if not why and values.get("earnings") is None and values.get("eps") is None:
            why.append("neither earnings nor eps")
        if why:
            problems.append((n, ", ".join(why)))
            continue
        assert day is not None
        key = (ticker, int(values["fiscal_year"]), day)
        if key in keys:
            problems.append((n, f"same ticker, fiscal year and as_of as row {keys[key]} ({key[0]} {key[1]} {day})"))
            continue
        keys[key] = n
        revenue, earnings = values.get("revenue"), values.get("earnings")
        out.append(
            {
                "ticker": ticker,
                "fiscal_year": key[1],
                "as_of": day,
                "revenue": None if revenue is None else revenue * scale,
                "earnings": None if earnings is None else earnings * scale,
                "eps": values.get("eps"),
                "analysts": values.get("analysts"),
            }
        )
    if problems:
        raise _refuse(origin, problems)
    return pa.Table.from_pylist(out, schema=schema)


def _pick(item: Mapping[str, Any], *names: str) -> Any:
    """The first of `names` the item holds with a value (the stable API's name first, then the v3 one)."""
    for name in names:
        if item.get(name) is not None:
            return item[name]
    return None


def _fmp_number(value: Any, label: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{label} {value!r}")
    number = float(value) if not isinstance(value, str) else finite_number(value, label)
    if number is not None and not math.isfinite(number):
        raise ValueError(f"{label} {value!r}")
    return number


def parse_fmp_estimates(payload: bytes, *, origin: str, as_of: date) -> pa.Table:
    """FMP annual analyst estimates (a JSON list, one object per fiscal year) -> raw.estimates rows dated `as_of`.

    Both shapes are read: the stable API's (/stable/analyst-estimates: revenueAvg, netIncomeAvg, epsAvg,
    numAnalystsRevenue, numAnalystsEps) and the legacy v3 one (/api/v3/analyst-estimates: estimatedRevenueAvg,
    estimatedNetIncomeAvg, estimatedEpsAvg, numberAnalystEstimatedRevenue, numberAnalystsEstimatedEps).
    fiscal_year is the year of `date`, the fiscal period's end; analysts is the EPS analyst count, or the
    revenue one where that is missing or zero. A year with neither net income nor EPS is left out (it carries
    no earnings consensus). An error object or an HTML page is a SourceError naming FMP and `origin`; an
    empty list is an empty table; two objects for one fiscal year (a quarterly payload, a changed year end) are
    refused, since (ticker, fiscal_year, as_of) is the raw key.
    """
    schema = contract("estimates")
    text = decode_text(payload, provider=FMP, origin=origin, expected="JSON")
    if not text.strip():
        return schema.empty_table()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{FMP}: {origin}: not JSON (starts {text.strip()[:60]!r}): {exc}") from exc
    if isinstance(doc, dict):
        message = doc.get("Error Message") or doc.get("message") or doc.get("error")
        if message:
            raise SourceError(f"{FMP}: {origin}: {message}")
        raise SourceError(f"{FMP}: {origin}: expected a list of estimates, got an object with keys {sorted(doc)}")
    if not isinstance(doc, list):
        raise SourceError(f"{FMP}: {origin}: expected a list of estimates, got {type(doc).__name__}")
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, int], str] = {}
    for k, item in enumerate(doc):
        try:
            if not isinstance(item, dict):
                raise ValueError(f"a {type(item).__name__}, not an object")
            symbol = str(item.get("symbol") or "").strip().upper()
            if not symbol:
                raise ValueError("no symbol")
            period_end = str(item.get("date") or "").strip()
            fiscal_year = iso_day(period_end[:10]).year
            revenue = _fmp_number(_pick(item, "revenueAvg", "estimatedRevenueAvg"), "revenue")
            earnings = _fmp_number(_pick(item, "netIncomeAvg", "estimatedNetIncomeAvg"), "net income")
            eps = _fmp_number(_pick(item, "epsAvg", "estimatedEpsAvg"), "eps")
            by_eps = _fmp_number(_pick(item, "numAnalystsEps", "numberAnalystsEstimatedEps"), "EPS analysts")
            by_revenue = _fmp_number(
                _pick(item, "numAnalystsRevenue", "numberAnalystEstimatedRevenue"), "revenue analysts"
            )
        except ValueError as exc:
            raise SourceError(f"{FMP}: {origin}: estimate {k} lacks or garbles {exc}") from None
        if earnings is None and eps is None:
            continue
        key = (symbol, fiscal_year)
        if key in seen:
            raise SourceError(
                f"{FMP}: {origin}: two estimates of {symbol} for fiscal year {fiscal_year} "
                f"(periods ending {seen[key]} and {period_end[:10]}); ask for period=annual"
            )
        seen[key] = period_end[:10]
        count = by_eps if by_eps else by_revenue if by_revenue is not None else by_eps
        out.append(
            {
                "ticker": symbol,
                "fiscal_year": fiscal_year,
                "as_of": as_of,
                "revenue": revenue,
                "earnings": earnings,
                "eps": eps,
                "analysts": None if count is None else round(count),
            }
        )
    return pa.Table.from_pylist(out, schema=schema)
