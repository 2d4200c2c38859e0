"""SEC EDGAR JSON APIs: company_tickers -> ticker-to-CIK map, submissions -> raw `companies`, companyfacts -> raw
`fundamentals` and `shares_outstanding`."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import pyarrow as pa

from sources.base import SourceError
from sources.payload import decode_json_object
from warehouse.ddl import raw_dataset

PROVIDER = "sec"
SHARES_TAXONOMY, SHARES_CONCEPT, SHARES_UNIT = "dei", "EntityCommonStockSharesOutstanding", "shares"
# How many faulty items an error message names before it only counts the rest.
NAMED_FAULTS = 5
_MMDD = re.compile(r"^\d{4}$")

Payload = bytes | bytearray | str | Mapping[str, Any]


class Fact(NamedTuple):
    """One companyfacts fact, in the column order of raw `fundamentals` (after cik and ticker)."""

    taxonomy: str
    concept: str
    unit: str
    period_start: date | None
    period_end: date
    value: float
    fiscal_year: int | None
    fiscal_period: str | None
    form: str | None
    filed: date
    accession: str | None
    frame: str | None


@dataclass(frozen=True)
class CompanyFacts:
    """One parsed companyfacts payload: both raw tables and what the key de-duplication dropped, for logging."""

    fundamentals: pa.Table
    shares_outstanding: pa.Table
    taxonomies: tuple[str, ...]  # taxonomies holding at least one fact, sorted
    duplicates_dropped: int  # fundamentals facts dropped because another fact had the same raw key
    conflicting_keys: int  # raw keys whose duplicates disagreed on the value


def _fail(origin: str, what: str) -> SourceError:
    return SourceError(f"{PROVIDER}: {origin}: {what}")


def _faults(origin: str, what: str, items: list[str]) -> SourceError:
    more = f" (and {len(items) - NAMED_FAULTS} more)" if len(items) > NAMED_FAULTS else ""
    return _fail(origin, f"{what}: {'; '.join(items[:NAMED_FAULTS])}{more}")


def _decode(payload: Payload, origin: str) -> Mapping[str, Any]:
    return decode_json_object(payload, provider=PROVIDER, origin=origin)


def _cik(value: Any) -> int | None:
    """A CIK from an int or a (zero-padded) digit string; None if it is neither or not positive."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def _text(value: Any) -> str | None:
    """A string field, with SEC's empty strings as null."""
    return value.strip() or None if isinstance(value, str) else None


def _first(values: Any) -> str | None:
    return _text(values[0]) if isinstance(values, list) and values else None


def parse_company_tickers(payload: Payload, *, origin: str) -> dict[str, int]:
    """company_tickers.json ({"0": {cik_str, ticker, title}, ...}) to upper-case ticker -> CIK.

    A ticker listed twice keeps its first entry in SEC's own numbering (the file is in SEC's rank order).
    """
    doc = _decode(payload, origin)
    out: dict[str, int] = {}
    bad: list[str] = []
    for key in sorted(doc, key=lambda k: (not str(k).isdigit(), int(k) if str(k).isdigit() else 0, str(k))):
        entry = doc[key]
        ticker = _text(entry.get("ticker")) if isinstance(entry, Mapping) else None
        cik = _cik(entry.get("cik_str")) if isinstance(entry, Mapping) else None
        if ticker is None or cik is None:
            bad.append(f"[{key}]={entry!r:.80}")
            continue
        out.setdefault(ticker.upper(), cik)
    if bad:
        raise _faults(origin, "entries without a ticker and a numeric cik_str", bad)
    if not out:
        raise _fail(origin, "no ticker entries in the payload")
    return out


def parse_submissions(payload: Payload, *, origin: str, as_of: date) -> pa.Table:
    """One submissions payload (data.sec.gov/submissions/CIK##########.json) to one raw `companies` row on as_of."""
    doc = _decode(payload, origin)
    cik = _cik(doc.get("cik"))
    if cik is None:
        raise _fail(origin, f"cik {doc.get('cik')!r} is not a CIK")
    ticker = _first(doc.get("tickers"))
    if ticker is None:
        # raw.companies needs a ticker; a company with none listed cannot be joined to prices anyway.
        raise _fail(origin, f"CIK {cik}: 'tickers' is empty or missing ({doc.get('tickers')!r})")
    sic_text = _text(doc.get("sic"))
    if sic_text is not None and not sic_text.isdigit():
        raise _fail(origin, f"CIK {cik}: sic {sic_text!r} is not a number")
    fiscal_year_end = _text(doc.get("fiscalYearEnd"))
    if fiscal_year_end is not None and not _MMDD.match(fiscal_year_end):
        raise _fail(origin, f"CIK {cik}: fiscalYearEnd {fiscal_year_end!r} is not MMDD")
    row = {
        "cik": [cik],
        "as_of": [as_of],
        "ticker": [ticker.upper()],
        "name": [_text(doc.get("name"))],
        "sic": [int(sic_text) if sic_text is not None else None],
        "sic_description": [_text(doc.get("sicDescription"))],
        "fiscal_year_end": [fiscal_year_end],
        "exchange": [_first(doc.get("exchanges"))],
    }
    return pa.Table.from_pydict(row, schema=raw_dataset("companies").arrow_schema(without_stamps=True))


def _facts(doc: Mapping[str, Any], origin: str) -> Mapping[str, Any]:
    facts = doc.get("facts")
    if not isinstance(facts, Mapping):
        raise _fail(origin, f"no 'facts' object in the payload (keys: {sorted(doc)[:10]})")
    return facts


def has_us_gaap(payload: Payload, *, origin: str = "<payload>") -> bool:
    """Whether a companyfacts payload holds any us-gaap fact (False for an IFRS filer such as a 20-F filer)."""
    concepts = _facts(_decode(payload, origin), origin).get("us-gaap")
    if not isinstance(concepts, Mapping):
        return False
    units = (body.get("units") for body in concepts.values() if isinstance(body, Mapping))
    return any(isinstance(u, Mapping) and any(u.values()) for u in units)


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _fact(taxonomy: str, concept: str, unit: str, item: Any) -> Fact | str:
    """One fact object to a Fact, or the reason it cannot be one."""
    if not isinstance(item, Mapping):
        return "not an object"
    end, filed, start = _date(item.get("end")), _date(item.get("filed")), _date(item.get("start"))
    value, fy = item.get("val"), item.get("fy")
    if end is None:
        return f"end {item.get('end')!r}"
    if filed is None:
        return f"filed {item.get('filed')!r}"
    if start is None and item.get("start") is not None:
        return f"start {item.get('start')!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"val {value!r}"
    if fy is not None and (isinstance(fy, bool) or not isinstance(fy, int)):
        return f"fy {fy!r}"
    return Fact(
        taxonomy=taxonomy,
        concept=concept,
        unit=unit,
        period_start=start,
        period_end=end,
        value=float(value),
        fiscal_year=fy,
        fiscal_period=_text(item.get("fp")),
        form=_text(item.get("form")),
        filed=filed,
        accession=_text(item.get("accn")),
        frame=_text(item.get("frame")),
    )


def _rank(fact: Fact) -> tuple:
    """Order among facts sharing a raw key: the greatest accession wins; the rest only make the choice total."""
    return (
        fact.accession or "",
        fact.value,
        fact.fiscal_year or 0,
        fact.fiscal_period or "",
        fact.form or "",
        fact.frame or "",
    )


def _order(fact: Fact) -> tuple:
    """Output order: by concept, then period (an instant before durations ending the same day), then filing date."""
    start = fact.period_start
    return (fact.taxonomy, fact.concept, fact.unit, fact.period_end, start is not None, start or date.min, fact.filed)


def _dedupe(facts: Iterable[Fact], key: Callable[[Fact], Hashable]) -> tuple[list[Fact], int, int]:
    """One fact per key (the greatest _rank), sorted by key; with the number dropped and of keys whose values differ.

    The same fact repeats in companyfacts: once per filing that reports it, and sometimes twice under one
    accession. Equal filed dates under two accessions are a same-day original and amendment (or two
    registrants filing together); their values can differ. The greatest accession is the later-numbered
    document of that day - a deterministic tie-break, not a judgement of which number is right - so keys
    whose values differ are counted for the caller to report rather than resolved silently.
    """
    best: dict[Hashable, Fact] = {}
    conflicts: set[Hashable] = set()
    total = 0
    for fact in facts:
        total += 1
        k = key(fact)
        held = best.get(k)
        if held is None:
            best[k] = fact
            continue
        if held.value != fact.value:
            conflicts.add(k)
        if _rank(fact) > _rank(held):
            best[k] = fact
    kept = sorted(best.values(), key=_order)
    return kept, total - len(kept), len(conflicts)


def _fundamentals_key(fact: Fact) -> tuple:
    # cik is the payload's single CIK, so it is left out of the in-payload key.
    return (fact.taxonomy, fact.concept, fact.unit, fact.period_start, fact.period_end, fact.filed)


def _shares_key(fact: Fact) -> tuple:
    return (fact.period_end, fact.filed)


def _share_counts(parsed: Iterable[Fact]) -> list[Fact]:
    """dei:EntityCommonStockSharesOutstanding per filing and date: the sum of the distinct counts one accession gives.

    A cover page lists each class of common stock apart (Class A, Class B, ...), and companyfacts drops the class,
    so one accession holds several counts for one date; the company's shares are their sum (market cap is then the
    close of the listed class times every share, the usual approximation where classes convert one for one). A
    count repeated within one accession is the same fact twice and is counted once.
    """
    by_filing: dict[tuple, dict[float, Fact]] = {}
    for f in parsed:
        if (f.taxonomy, f.concept, f.unit) == (SHARES_TAXONOMY, SHARES_CONCEPT, SHARES_UNIT):
            by_filing.setdefault((f.period_end, f.filed, f.accession), {}).setdefault(f.value, f)
    return [
        next(iter(counts.values()))._replace(value=float(sum(counts)))
        if len(counts) > 1
        else next(iter(counts.values()))
        for counts in by_filing.values()
    ]


def read_companyfacts(payload: Payload, *, origin: str, ticker: str | None = None) -> CompanyFacts:
    """One companyfacts payload to raw `fundamentals` (every fact, every taxonomy), raw `shares_outstanding` and counts.

    Both are unique on their raw key; see _dedupe for which duplicate is kept, and _share_counts for the share
    count of a filer with several classes of common stock. A filer without us-gaap facts
    is not an error here (has_us_gaap tells the caller). Any fact missing end, filed or a numeric val makes the
    payload an error naming the facts at fault.
    """
    doc = _decode(payload, origin)
    facts = _facts(doc, origin)
    cik = _cik(doc.get("cik"))
    if cik is None:
        raise _fail(origin, f"cik {doc.get('cik')!r} is not a CIK")
    parsed: list[Fact] = []
    bad: list[str] = []
    for taxonomy, concepts in facts.items():
        if not isinstance(concepts, Mapping):
            bad.append(f"{taxonomy}: not an object")
            continue
        for concept, body in concepts.items():
            units = body.get("units") if isinstance(body, Mapping) else None
            if not isinstance(units, Mapping):
                bad.append(f"{taxonomy}:{concept}: no units")
                continue
            for unit, items in units.items():
                if not isinstance(items, list):
                    bad.append(f"{taxonomy}:{concept} [{unit}]: not a list")
                    continue
                for i, item in enumerate(items):
                    fact = _fact(taxonomy, concept, unit, item)
                    if isinstance(fact, str):
                        bad.append(f"{taxonomy}:{concept} [{unit}] #{i}: {fact}")
                    else:
                        parsed.append(fact)
    if bad:
        raise _faults(origin, f"CIK {cik}: facts that cannot be read", bad)

    kept, dropped, conflicting = _dedupe(parsed, _fundamentals_key)
    shares, _, _ = _dedupe(_share_counts(parsed), _shares_key)
    columns = {name: [getattr(f, name) for f in kept] for name in Fact._fields}
    fundamentals = pa.Table.from_pydict(
        {"cik": [cik] * len(kept), "ticker": [ticker] * len(kept), **columns},
        schema=raw_dataset("fundamentals").arrow_schema(without_stamps=True),
    )
    shares_table = pa.Table.from_pydict(
        {
            "cik": [cik] * len(shares),
            "ticker": [ticker] * len(shares),
            "period_end": [f.period_end for f in shares],
            "filed": [f.filed for f in shares],
            "shares": [f.value for f in shares],
            "form": [f.form for f in shares],
            "accession": [f.accession for f in shares],
        },
        schema=raw_dataset("shares_outstanding").arrow_schema(without_stamps=True),
    )
    taxonomies = tuple(sorted({f.taxonomy for f in parsed}))
    return CompanyFacts(fundamentals, shares_table, taxonomies, dropped, conflicting)


def parse_companyfacts(payload: Payload, *, origin: str, ticker: str | None = None) -> tuple[pa.Table, pa.Table]:
    """One companyfacts payload to (raw `fundamentals`, raw `shares_outstanding`), no stamps; see read_companyfacts."""
    facts = read_companyfacts(payload, origin=origin, ticker=ticker)
    return facts.fundamentals, facts.shares_outstanding
