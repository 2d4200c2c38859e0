"""iShares fund holdings CSV (IWM) -> raw `constituents`: one row per listed equity holding on the file's as-of date."""

from __future__ import annotations

import csv
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import pyarrow as pa

from sources.base import SourceError
from sources.payload import contract, decode_text

log = logging.getLogger("eea.sources.ishares")

PROVIDER = "ishares"
EQUITY = "Equity"
# iShares' exchange for holdings that do not trade (CVRs, escrows, private placements of acquired names).
UNLISTED_EXCHANGE = "NO MARKET (E.G. UNLISTED)"
# Keys of Holdings.left_out besides the non-equity asset classes, which are counted under their own name.
NO_TICKER = "no ticker"
UNLISTED = "unlisted"
# A dividend declared and not yet paid, listed beside the company's share line, often under the same ticker
# (e.g. 'NEXPOINT STRATEGIC CASH ACCRUAL'): cash owed to the fund, not a holding of shares.
CASH_ACCRUAL = "cash accrual"
# A holding line repeated word for word: one holding, kept once.
REPEATED = "repeated line"
_ACCRUAL_NAME = "CASH ACCRUAL"

# Exchange names as iShares has spelled them over the years (compared case-folded, whitespace collapsed) ->
# the short names the demo source and the companies dataset use. A spelling not listed here is kept as the
# file has it, so nothing is lost and a validation check can flag it.
EXCHANGES: dict[str, str] = {
    "nyse": "NYSE",
    "new york stock exchange": "NYSE",
    "new york stock exchange inc.": "NYSE",
    "nasdaq": "NASDAQ",
    "nasdaq global select": "NASDAQ",
    "nasdaq global select market": "NASDAQ",
    "nasdaq global market": "NASDAQ",
    "nasdaq capital market": "NASDAQ",
    "nasdaq stock market": "NASDAQ",
    "nasdaq stock market llc": "NASDAQ",
    "nyse mkt llc": "NYSE AMERICAN",
    "nyse mkt": "NYSE AMERICAN",
    "nyse american": "NYSE AMERICAN",
    "nyse amex": "NYSE AMERICAN",
    "nyse arca": "NYSE ARCA",
    "nyse arca, inc.": "NYSE ARCA",
    "cboe bzx": "CBOE BZX",
    "cboe bzx formerly known as bats": "CBOE BZX",
    "bats global markets": "CBOE BZX",
    "non-nms quotation service (nnqs)": "OTC",
    "otc markets": "OTC",
    "chicago mercantile exchange": "CME",
}

# Header names (case-folded) -> contract column. Older files say Shares where newer ones say Quantity.
_COLUMNS = {
    "ticker": "ticker",
    "name": "name",
    "sector": "sector",
    "asset class": "asset_class",
    "market value": "market_value",
    "weight (%)": "weight",
    "quantity": "shares_held",
    "shares": "shares_held",
    "price": "price",
    "exchange": "exchange",
}
_NUMERIC = ("weight", "shares_held", "market_value", "price")
_HEADER = re.compile(r'^\s*"?ticker"?\s*,', re.IGNORECASE)
_AS_OF_LABEL = "fund holdings as of"
_AS_OF_FORMATS = ("%b %d, %Y", "%B %d, %Y")
# iShares writes '-' for a value it does not have.
_NULL = ("", "-")
_SHOWN = 5


@dataclass(frozen=True)
class Holdings:
    """One parsed holdings file: the raw `constituents` rows, the as-of date used, and what was left out.

    `file_as_of` is the date in the banner (None when the file has none); it wins over the caller's date.
    `left_out` counts rows not in the table: lines whose name says 'CASH ACCRUAL' (of any asset class) under
    'cash accrual', other non-equity rows by asset class ('Cash', 'Futures', ...), equity rows with ticker '-'
    or empty under 'no ticker', equity rows on iShares' 'NO MARKET (E.G. UNLISTED)' exchange under 'unlisted',
    and second copies of a holding line repeated word for word under 'repeated line'.
    """

    table: pa.Table
    as_of: date
    file_as_of: date | None
    left_out: dict[str, int] = field(default_factory=dict)


def _schema() -> pa.Schema:
    return contract("constituents")


def _decode(payload: bytes, origin: str) -> str:
    return decode_text(payload, provider=PROVIDER, origin=origin, expected="a holdings CSV (moved or blocked?)")


def _number(text: str, column: str) -> float | None:
    text = text.strip()
    if text in _NULL:
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = math.nan
    # float() accepts 'nan' and 'inf'; neither is a holding's number.
    if not math.isfinite(value):
        raise ValueError(f"{column} {text!r}")
    return value


def _text(value: str) -> str | None:
    value = value.strip()
    return None if value in _NULL else value


def _exchange(value: str) -> str | None:
    value = value.strip()
    if value in _NULL:
        return None
    return EXCHANGES.get(" ".join(value.casefold().split()), value)


def _banner_date(banner: list[str], origin: str) -> date | None:
    for line in banner:
        fields = next(csv.reader([line]), [])
        if len(fields) < 2 or fields[0].strip().lower() != _AS_OF_LABEL:
            continue
        value = fields[1].strip()
        if value in _NULL:
            return None
        for fmt in _AS_OF_FORMATS:
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                pass
        raise SourceError(f"{PROVIDER}: {origin}: cannot read the 'Fund Holdings as of' date {value!r}")
    return None


def read_holdings(
    payload: bytes, *, origin: str, as_of: date | None = None, index_name: str = "russell_2000"
) -> Holdings:
    """An iShares holdings CSV (banner optional, footer ignored) -> Holdings: listed equity rows, as-of, counts."""
    text = _decode(payload, origin)
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _HEADER.match(line)), None)
    if start is None:
        raise SourceError(f"{PROVIDER}: {origin}: no header row starting with 'Ticker' (not an iShares holdings CSV)")
    file_as_of = _banner_date(lines[:start], origin)
    snapshot = file_as_of if file_as_of is not None else as_of
    if snapshot is None:
        raise SourceError(
            f"{PROVIDER}: {origin}: the file has no 'Fund Holdings as of' banner and no as_of date was given"
        )
    # The holdings end at the first blank line (iShares writes a line holding one no-break space); the legal footer
    # after it is free text, partly one quoted multi-line field, and would not parse as rows.
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    reader = csv.reader(line.rstrip("\r") for line in lines[start:end])
    header = [name.strip().casefold() for name in next(reader)]
    at = {_COLUMNS[name]: i for i, name in enumerate(header) if name in _COLUMNS}
    missing = sorted(set(_COLUMNS.values()) - set(at))
    if missing:
        raise SourceError(
            f"{PROVIDER}: {origin}: holdings header (line {start + 1}) lacks column(s) for {', '.join(missing)}; "
            f"it has {', '.join(header)[:160]}"
        )
    columns: dict[str, list[object]] = {name: [] for name in ("ticker", "name", "sector", "exchange", *_NUMERIC)}
    left_out: Counter[str] = Counter()
    bad: list[str] = []
    # The first share line of each ticker (line number, stripped fields), and tickers with a second, different one.
    first_of: dict[str, tuple[int, list[str]]] = {}
    conflicts: dict[str, tuple[list[int], list[str]]] = {}
    for row in reader:
        line = start + reader.line_num
        if len(row) != len(header):
            bad.append(f"line {line} ({len(row)} fields, header has {len(header)})")
            continue
        # Checked before the asset class: iShares files accruals as 'Equity' or as 'Cash', and under the company's
        # own ticker, which would otherwise collide with its share line.
        if _ACCRUAL_NAME in " ".join(row[at["name"]].upper().split()):
            left_out[CASH_ACCRUAL] += 1
            continue
        asset_class = row[at["asset_class"]].strip()
        if asset_class.casefold() != EQUITY.casefold():
            left_out[asset_class or "(no asset class)"] += 1
            continue
        ticker = row[at["ticker"]].strip().upper()
        if ticker in _NULL:
            left_out[NO_TICKER] += 1
            continue
        # Unlisted holdings (CVRs and leftovers of acquired names) are not tradable members, and they reuse tickers:
        # the 2026-05-05 file lists ADRO twice, for Chinook and for its CVR, which would break the key.
        if row[at["exchange"]].strip().upper() == UNLISTED_EXCHANGE:
            left_out[UNLISTED] += 1
            continue
        try:
            numbers = {name: _number(row[at[name]], name) for name in _NUMERIC}
        except ValueError as exc:
            bad.append(f"line {line} ({exc})")
            continue
        fields = [value.strip() for value in row]
        if ticker in first_of:
            first_line, first_fields = first_of[ticker]
            if fields == first_fields:
                left_out[REPEATED] += 1
            else:
                differ = [header[i] for i, (a, b) in enumerate(zip(first_fields, fields, strict=True)) if a != b]
                conflicts.setdefault(ticker, ([first_line], differ))[0].append(line)
            continue
        first_of[ticker] = (line, fields)
        columns["ticker"].append(ticker)
        columns["name"].append(_text(row[at["name"]]))
        columns["sector"].append(_text(row[at["sector"]]))
        columns["exchange"].append(_exchange(row[at["exchange"]]))
        for name, value in numbers.items():
            columns[name].append(value)
    if bad:
        raise SourceError(f"{PROVIDER}: {origin}: {len(bad)} malformed row(s), first: {'; '.join(bad[:_SHOWN])}")
    # Share classes have distinct tickers (e.g. LGF.A / LGF.B). Two different share lines under one ticker are two
    # claims about one holding; picking either would be a guess, so the file is refused.
    if conflicts:
        shown = [
            f"{t} (lines {', '.join(map(str, ls))} differ in {', '.join(differ)})"
            for t, (ls, differ) in list(conflicts.items())[:_SHOWN]
        ]
        raise SourceError(
            f"{PROVIDER}: {origin}: ticker(s) listed twice as shares with different data, cannot tell which is "
            f"right: {'; '.join(shown)}"
        )
    n = len(columns["ticker"])
    table = pa.table(
        {
            "index_name": [index_name] * n,
            "as_of": [snapshot] * n,
            **columns,
            "asset_class": [EQUITY] * n,
            "cik": [None] * n,
        },
        schema=_schema(),
    )
    log.info(
        "%s: %s: %d holdings as of %s; left out: %s",
        PROVIDER,
        origin,
        n,
        snapshot,
        ", ".join(f"{reason} {count}" for reason, count in sorted(left_out.items())) or "none",
    )
    return Holdings(table=table, as_of=snapshot, file_as_of=file_as_of, left_out=dict(left_out))


def parse_holdings(
    payload: bytes, *, origin: str, as_of: date | None = None, index_name: str = "russell_2000"
) -> tuple[pa.Table, date]:
    """An iShares holdings CSV -> (raw `constituents` rows of listed equities, the as-of date they are stamped with).

    The banner's 'Fund Holdings as of' date wins over `as_of` when both exist (the file knows its own date) and
    is the one returned; a file without a banner needs `as_of`. Non-equity rows, cash accruals, '-' tickers,
    unlisted holdings and word-for-word repeats are left out (read_holdings counts them). Malformed rows, a
    ticker with two different share lines and HTML bodies raise SourceError.
    """
    holdings = read_holdings(payload, origin=origin, as_of=as_of, index_name=index_name)
    return holdings.table, holdings.as_of
