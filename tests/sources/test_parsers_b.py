"""Yahoo chart and SEC EDGAR parsers: hand-written payloads (always run), real recorded ones (skipped if absent)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.base import SourceError
from sources.sec import (
    has_us_gaap,
    parse_company_tickers,
    parse_companyfacts,
    parse_submissions,
    read_companyfacts,
)
from sources.yahoo import adjclose_shape, as_traded, parse_chart, read_chart
from transforms.daily_prices import daily_prices
from warehouse.ddl import raw_dataset

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
YAHOO = FIXTURES / "prices" / "yahoo_chart"
AAPL = YAHOO / "chart-AAPL-2020-08-31-to-2020-11-07.json"
TSLA = YAHOO / "historical-via-chart-dividends-TSLA-no-dividends.json"
AAPL_1M_WEEKEND = YAHOO / "chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.json"
SEC = FIXTURES / "fundamentals"
MRVL_FACTS = SEC / "companyfacts" / "CIK0001835632.json"
MRVL_SUBMISSIONS = SEC / "submissions" / "CIK0001835632.json"
LPA_FACTS = SEC / "edgartools_fixtures" / "lpa_facts.json"
TICKERS = SEC / "company_tickers.json"

NY = ZoneInfo("America/New_York")
D1, D2, D3, D4 = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)
HTML = b"<!DOCTYPE html><html><head><title>Request Rate Threshold Exceeded</title></head><body></body></html>"
NO_SHARES = pd.DataFrame(
    {"ticker": pd.Series(dtype=str), "filed": pd.Series(dtype="datetime64[s]"), "shares": pd.Series(dtype=float)}
)
FUNDAMENTALS_KEY = ["cik", "taxonomy", "concept", "unit", "period_start", "period_end", "filed"]


def real(path: Path) -> bytes:
    """A recorded provider payload from ../shared/fixtures, or a skip saying it is not there."""
    if not path.is_file():
        pytest.skip(f"real payload {path} absent (../shared/fixtures is not checked out next to this repository)")
    return path.read_bytes()


def stamp(day: date, at: time = time(9, 30)) -> int:
    """Epoch seconds of a New York wall-clock time, as Yahoo stamps a daily bar (the session's open)."""
    return int(datetime.combine(day, at, NY).timestamp())


def chart(
    bars: list[tuple[int, float | None, float | None]],
    *,
    dividends: dict[int, float] | None = None,
    splits: dict[int, tuple[int, int]] | None = None,
    symbol: str = "SMLC",
    granularity: str = "1d",
    market_time: int | None = -1,
) -> bytes:
    """A chart v8 payload: bars as (timestamp, close, adjclose) with open=high=low=close, events keyed by timestamp."""
    events = {}
    if dividends:
        events["dividends"] = {str(t): {"amount": a, "date": t} for t, a in dividends.items()}
    if splits:
        events["splits"] = {
            str(t): {"date": t, "numerator": n, "denominator": d, "splitRatio": f"{n}:{d}"}
            for t, (n, d) in splits.items()
        }
    closes = [c for _, c, _ in bars]
    result = {
        "meta": {
            "currency": "USD",
            "symbol": symbol,
            "exchangeTimezoneName": "America/New_York",
            "dataGranularity": granularity,
            # the download: by default the last bar's time, so the payload reaches its download day
            **({} if market_time is None else {"regularMarketTime": bars[-1][0] if market_time == -1 else market_time}),
        },
        "timestamp": [t for t, _, _ in bars],
        "events": events,
        "indicators": {
            "quote": [
                {
                    "open": closes,
                    "high": closes,
                    "low": closes,
                    "close": closes,
                    "volume": [None if c is None else 1000 for c in closes],
                }
            ],
            "adjclose": [{"adjclose": [a for _, _, a in bars]}],
        },
    }
    return json.dumps({"chart": {"result": [result], "error": None}}).encode()


def to_mart(table: pa.Table, as_of: date, *, no_split_after_last_bar: bool = False) -> pd.DataFrame:
    """The parsed bars brought back to as traded and through the daily_prices mart transform, indexed by date.

    no_split_after_last_bar: take the download day as the last bar's, for a real payload whose ticker is known
    (outside the payload) to have had no split between its last bar and its download day.
    """
    if no_split_after_last_bar:
        last = pc.max(table.column("date"))
        table = table.set_column(
            table.schema.get_field_index("basis_date"), "basis_date", pa.array([last.as_py()] * table.num_rows)
        )
    (traded,), refused = as_traded([("own", table)])
    assert not refused
    frame = traded.to_pandas()
    frame["source"] = "yahoo"
    out = daily_prices(frame, NO_SHARES, as_of=as_of)
    out.index = pd.Index(out["date"].tolist(), name="date")
    return out


def our_shape(mart: pd.DataFrame, table: pa.Table) -> pd.Series:
    """Our adj_close over the close on Yahoo's basis (the parsed, split-adjusted one), relative to the last day.

    Yahoo's adjclose / close holds dividends only, because its close is split-adjusted; the mart's close is as
    traded, so before a split its adj_close / close also holds the split. Over the parsed close the two compare.
    """
    basis = pd.Series(table.column("close").to_pylist(), index=table.column("date").to_pylist())
    ratio = mart["adj_close"] / basis.reindex(mart.index)
    return ratio / ratio.iloc[-1]


# Yahoo basis (split-adjusted as of the download): as traded the closes were 100, 102, then 52, 53 after a 2:1
# split on D3, and D2 went ex a 0.50 dividend that Yahoo states as 0.25 per today's share.
SPLIT_AND_DIVIDEND = chart(
    [
        (stamp(D1), 50.0, 50.0 * (1 - 0.25 / 50.0)),
        (stamp(D2), 51.0, 51.0),
        (stamp(D3), 52.0, 52.0),
        (stamp(D4), 53.0, 53.0),
    ],
    dividends={stamp(D2): 0.25},
    splits={stamp(D3): (2, 1)},
)


# --- Yahoo, own payloads -------------------------------------------------------------------------------------


def test_chart_matches_the_raw_contract_and_reads_split_and_dividend() -> None:
    table = parse_chart(SPLIT_AND_DIVIDEND, origin="own")
    assert table.schema.equals(raw_dataset("prices").arrow_schema(without_stamps=True))
    rows = table.to_pylist()
    assert [r["date"] for r in rows] == [D1, D2, D3, D4]
    assert [r["close"] for r in rows] == [50.0, 51.0, 52.0, 53.0]  # Yahoo's values, untouched
    assert [r["split_ratio"] for r in rows] == [1.0, 1.0, 2.0, 1.0]
    # on Yahoo's basis, like the closes: 0.25 per share of the download day (0.50 as paid, see as_traded)
    assert [r["dividend"] for r in rows] == [0.0, 0.25, 0.0, 0.0]
    assert {r["adjusted"] for r in rows} == {"split"}
    assert {r["basis_date"] for r in rows} == {D4}  # regularMarketTime: the last bar's time
    (traded,), _ = as_traded([("own", table)])
    assert traded.column("dividend").to_pylist() == [0.0, 0.5, 0.0, 0.0]  # as paid: x the 2:1 split after it
    assert {r["ticker"] for r in rows} == {"SMLC"}


def test_own_split_and_dividend_through_daily_prices_match_yahoo_adjclose() -> None:
    table = parse_chart(SPLIT_AND_DIVIDEND, origin="own")
    mart = to_mart(table, as_of=D4)
    assert mart["close"].tolist() == [100.0, 102.0, 52.0, 53.0]  # back to as traded, split once
    # Yahoo's adjclose exactly: the dividend factor 1 - 0.50/100 = 1 - 0.25/50 and the split once.
    assert mart["adj_close"].tolist() == pytest.approx([49.75, 51.0, 52.0, 53.0], rel=1e-12)
    yahoo = adjclose_shape(SPLIT_AND_DIVIDEND, origin="own")
    assert list(yahoo.index) == list(mart.index)
    assert (our_shape(mart, table) - yahoo).abs().max() < 1e-12


def test_bars_land_on_the_new_york_trading_date_not_the_utc_one() -> None:
    # 20:00 in New York is 00:00 or 01:00 UTC of the next day.
    late = stamp(D1, time(20, 0))
    assert datetime.fromtimestamp(late, ZoneInfo("UTC")).date() == D2
    table = parse_chart(chart([(late, 10.0, 10.0), (stamp(D2), 11.0, 11.0)]), origin="own")
    assert table.column("date").to_pylist() == [D1, D2]


def test_null_close_bar_is_dropped_and_counted_null_open_is_kept() -> None:
    payload = json.loads(chart([(stamp(D1), 10.0, 10.0), (stamp(D2), None, None), (stamp(D3), 12.0, 12.0)]))
    payload["chart"]["result"][0]["indicators"]["quote"][0]["open"][2] = None
    parsed = read_chart(json.dumps(payload).encode(), origin="own")
    assert parsed.null_bars == 1
    assert parsed.table.column("date").to_pylist() == [D1, D3]
    assert parsed.table.column("open").to_pylist() == [10.0, None]
    assert parsed.table.column("close").to_pylist() == [10.0, 12.0]
    only_nulls = read_chart(chart([(stamp(D1), None, None), (stamp(D2), None, None)]), origin="own")
    assert (only_nulls.table.num_rows, only_nulls.null_bars) == (0, 2)


def test_two_bars_on_one_trading_day_keep_the_later() -> None:
    parsed = read_chart(chart([(stamp(D1), 10.0, 10.0), (stamp(D1, time(15, 59)), 10.5, 10.5)]), origin="own")
    assert parsed.duplicate_days == 1
    assert parsed.table.column("close").to_pylist() == [10.5]


def test_empty_result_is_an_empty_table() -> None:
    payload = {
        "chart": {
            "result": [
                {
                    "meta": {"symbol": "SMLC", "exchangeTimezoneName": "America/New_York", "dataGranularity": "1m"},
                    "indicators": {"quote": [{}]},
                }
            ],
            "error": None,
        }
    }
    table = parse_chart(json.dumps(payload).encode(), origin="own")
    assert table.num_rows == 0
    assert table.schema.equals(raw_dataset("prices").arrow_schema(without_stamps=True))


def test_chart_error_is_a_source_error_with_yahoos_description() -> None:
    payload = (
        b'{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}'
    )
    with pytest.raises(
        SourceError, match=r"yahoo: https://q/v8/finance/chart/ZZZZ: .*No data found, symbol may be delisted"
    ):
        parse_chart(payload, origin="https://q/v8/finance/chart/ZZZZ")


def test_null_result_without_error_is_a_source_error() -> None:
    with pytest.raises(SourceError, match=r"yahoo: own: chart\.result"):
        parse_chart(b'{"chart":{"result":null,"error":null}}', origin="own")


def test_html_instead_of_json_is_a_source_error() -> None:
    with pytest.raises(SourceError, match=r"yahoo: https://q/x: payload is not JSON .*DOCTYPE"):
        parse_chart(HTML, origin="https://q/x")


def test_quote_arrays_of_the_wrong_length_name_the_field() -> None:
    payload = json.loads(chart([(stamp(D1), 10.0, 10.0), (stamp(D2), 11.0, 11.0)]))
    payload["chart"]["result"][0]["indicators"]["quote"][0]["high"] = [10.0]
    with pytest.raises(SourceError, match=r"indicators\.quote\[0\]\.high has 1 values for 2 timestamps"):
        parse_chart(json.dumps(payload).encode(), origin="own")


def test_intraday_bars_are_refused() -> None:
    with pytest.raises(SourceError, match="dataGranularity is '1m'"):
        parse_chart(chart([(stamp(D1), 10.0, 10.0)], granularity="1m"), origin="own")


def test_an_event_on_a_day_without_a_bar_is_refused_and_one_outside_the_bars_is_counted() -> None:
    bars = [(stamp(D1), 10.0, 10.0), (stamp(D2), None, None), (stamp(D3), 12.0, 12.0)]
    with pytest.raises(SourceError, match=r"events on a trading day with no bar .*splits on 2024-03-05"):
        parse_chart(chart(bars, splits={stamp(D2): (3, 1)}), origin="own")
    parsed = read_chart(chart(bars, dividends={stamp(D4): 0.1}), origin="own")
    assert parsed.events_outside == 1
    assert pc.sum(parsed.table.column("dividend")).as_py() == 0.0


# --- Yahoo, real payloads ------------------------------------------------------------------------------------


def _aapl() -> tuple[bytes, dict]:
    raw = real(AAPL)
    return raw, json.loads(raw)["chart"]["result"][0]


def _ny_day(seconds: int) -> date:
    return datetime.fromtimestamp(seconds, NY).date()


def _closes(result: dict) -> dict[date, float]:
    """Yahoo's close by New York date, straight from the JSON."""
    return dict(zip(map(_ny_day, result["timestamp"]), result["indicators"]["quote"][0]["close"], strict=True))


@pytest.mark.fixtures
def test_real_aapl_split_dividend_and_close_are_read_straight() -> None:
    raw, result = _aapl()
    table = parse_chart(raw, origin=AAPL.name)
    rows = {r["date"]: r for r in table.to_pylist()}
    assert table.num_rows == len(result["timestamp"]) == 49
    (split,) = result["events"]["splits"].values()
    assert (split["numerator"], split["denominator"]) == (4, 1)
    assert _ny_day(split["date"]) == date(2020, 8, 31)
    assert rows[date(2020, 8, 31)]["split_ratio"] == 4.0
    assert sum(r["split_ratio"] != 1.0 for r in rows.values()) == 1
    (dividend,) = result["events"]["dividends"].values()
    ex_date = _ny_day(dividend["date"])
    assert ex_date == date(2020, 11, 6)
    assert rows[ex_date]["dividend"] == dividend["amount"] == 0.205  # no split after it in the payload
    assert sum(r["dividend"] != 0.0 for r in rows.values()) == 1
    assert rows[date(2020, 10, 12)]["close"] == _closes(result)[date(2020, 10, 12)] == 124.4000015258789
    assert {r["adjusted"] for r in rows.values()} == {"split"}


@pytest.mark.fixtures
def test_real_aapl_our_adjustment_reproduces_yahoos_adjclose_shape() -> None:
    raw, _ = _aapl()
    table = parse_chart(raw, origin=AAPL.name)
    mart = to_mart(table, as_of=date(2020, 11, 6), no_split_after_last_bar=True)  # AAPL's last split: 2020-08-31
    yahoo = adjclose_shape(raw, origin=AAPL.name)
    assert list(yahoo.index) == list(mart.index)
    ours = our_shape(mart, table)
    # No bar precedes the split day here, so the mart's own adj_close / close is the same shape.
    plain = mart["adj_close"] / mart["close"]
    assert (plain / plain.iloc[-1] - ours).abs().max() < 1e-12
    # The dividend is in the shape (0.9983 before the ex-date), so matching it is not matching a constant.
    assert yahoo.iloc[0] < 0.999
    # Residual is at most 3.0e-7: Yahoo stores close and adjclose as float32 and its adjclose sits up to ~2
    # float32 ulps off close times one constant factor; 1e-6 is above that and below any real difference.
    assert (ours - yahoo).abs().max() < 1e-6


@pytest.mark.fixtures
def test_real_aapl_yahoo_divides_the_dividend_by_the_previous_sessions_close() -> None:
    raw, result = _aapl()
    yahoo = adjclose_shape(raw, origin=AAPL.name)
    closes = _closes(result)
    implied = yahoo[date(2020, 11, 5)]  # Yahoo's factor for the 2020-11-06 dividend, later dividends divided out
    assert abs(implied - (1 - 0.205 / closes[date(2020, 11, 5)])) < 1e-6
    assert abs(implied - (1 - 0.205 / closes[date(2020, 11, 6)])) > 4e-6  # the ex-day's own close would not do


@pytest.mark.fixtures
def test_real_aapl_split_is_not_applied_twice() -> None:
    raw, result = _aapl()
    # The payload starts on the split day; add the session before it from Yahoo's own meta.chartPreviousClose
    # (its split-adjusted 2020-08-28 close), in memory only.
    prev = result["meta"]["chartPreviousClose"]
    doc = json.loads(raw)
    res = doc["chart"]["result"][0]
    res["timestamp"].insert(0, stamp(date(2020, 8, 28)))
    for field in ("open", "high", "low", "close", "volume"):
        res["indicators"]["quote"][0][field].insert(0, None if field == "volume" else prev)
    res["indicators"]["adjclose"][0]["adjclose"].insert(0, None)
    table = parse_chart(json.dumps(doc).encode(), origin=AAPL.name)
    mart = to_mart(table, as_of=date(2020, 11, 6), no_split_after_last_bar=True)  # AAPL's last split: 2020-08-31
    closes = _closes(result)
    factor = 1 - 0.205 / closes[date(2020, 11, 5)]
    before = mart.loc[date(2020, 8, 28)]
    assert before["close"] == pytest.approx(4 * prev, rel=1e-12)  # as traded: 499.23
    assert before["adj_close"] == pytest.approx(prev * factor, rel=1e-12)  # Yahoo's close x dividend factor
    assert before["adj_close"] != pytest.approx(prev * factor / 4, rel=1e-3)
    assert mart.loc[date(2020, 8, 31), "close"] == closes[date(2020, 8, 31)]  # the split day is post-split
    # On Yahoo's basis the added day carries the same dividend factor as Yahoo gives the split day.
    yahoo = adjclose_shape(raw, origin=AAPL.name)
    assert abs(our_shape(mart, table)[date(2020, 8, 28)] - yahoo[date(2020, 8, 31)]) < 1e-6
    assert mart.loc[date(2020, 8, 31), "return_1d"] == pytest.approx(closes[date(2020, 8, 31)] / prev - 1, rel=1e-9)


@pytest.mark.fixtures
def test_real_tsla_full_history_parses_every_bar() -> None:
    raw = real(TSLA)
    result = json.loads(raw)["chart"]["result"][0]
    table = parse_chart(raw, origin=TSLA.name)
    assert table.num_rows == len(result["timestamp"]) == 3303
    days = table.column("date").to_pylist()
    assert days[0] == date(2010, 6, 29) and days == sorted(set(days))
    assert table.column("close").to_pylist() == result["indicators"]["quote"][0]["close"]
    # This recording has no `events` at all (the request did not ask for splits), so no split rows come out
    # even though its closes are split-adjusted (2010-06-29 reads 1.59, i.e. 23.89 / 15).
    splits = (result.get("events") or {}).get("splits") or {}
    ratios = dict(zip(days, table.column("split_ratio").to_pylist(), strict=True))
    for event in splits.values():
        assert ratios[_ny_day(event["date"])] == event["numerator"] / event["denominator"]
    assert sum(r != 1.0 for r in ratios.values()) == len(splits)
    assert pc.sum(table.column("dividend")).as_py() == 0.0


@pytest.mark.fixtures
def test_real_1m_weekend_window_is_empty() -> None:
    table = parse_chart(real(AAPL_1M_WEEKEND), origin=AAPL_1M_WEEKEND.name)
    assert table.num_rows == 0
    assert table.schema.equals(raw_dataset("prices").arrow_schema(without_stamps=True))


@pytest.mark.fixtures
@pytest.mark.parametrize("ticker", ["EPAC", "QQQ", "CRON"])
def test_real_two_day_windows_give_the_one_session(ticker: str) -> None:
    path = YAHOO / f"chart-{ticker}-2020-01-01-to-2020-01-03.json"
    raw = real(path)
    table = parse_chart(raw, origin=path.name)
    assert table.column("ticker").to_pylist() == [ticker]
    assert table.column("date").to_pylist() == [date(2020, 1, 2)]
    assert table.column("close").to_pylist() == json.loads(raw)["chart"]["result"][0]["indicators"]["quote"][0]["close"]


# --- SEC, own payloads ---------------------------------------------------------------------------------------


def facts_payload(cik: int | str, facts: dict) -> bytes:
    return json.dumps({"cik": cik, "entityName": "SMALL CO", "facts": facts}).encode()


def fact(end: str, val: float, accn: str, filed: str, start: str | None = None, **extra: object) -> dict:
    item = {"end": end, "val": val, "accn": accn, "fy": 2024, "fp": "Q1", "form": "10-Q", "filed": filed, **extra}
    return item if start is None else {"start": start, **item}


def test_companyfacts_duplicates_resolve_to_the_greatest_accession_and_are_counted() -> None:
    revenue = [
        fact("2024-03-31", 100.0, "0000000001-24-000001", "2024-05-01", start="2024-01-01"),
        fact("2024-03-31", 100.0, "0000000001-24-000001", "2024-05-01", start="2024-01-01"),  # repeated as is
        fact("2024-03-31", 105.0, "0000000001-24-000002", "2024-05-01", start="2024-01-01", form="10-Q/A"),
        fact("2024-03-31", 100.0, "0000000001-24-000009", "2024-08-01", start="2024-01-01"),  # later filing: kept
    ]
    payload = facts_payload("0000000001", {"us-gaap": {"Revenues": {"units": {"USD": revenue}}}})
    parsed = read_companyfacts(payload, origin="own", ticker="SMLC")
    assert parsed.duplicates_dropped == 2
    assert parsed.conflicting_keys == 1
    rows = parsed.fundamentals.to_pylist()
    assert [(r["filed"], r["value"], r["accession"], r["form"]) for r in rows] == [
        (date(2024, 5, 1), 105.0, "0000000001-24-000002", "10-Q/A"),
        (date(2024, 8, 1), 100.0, "0000000001-24-000009", "10-Q"),
    ]
    assert {r["cik"] for r in rows} == {1} and {r["ticker"] for r in rows} == {"SMLC"}


def test_companyfacts_instant_and_duration_facts_are_distinct_rows() -> None:
    facts = {
        "us-gaap": {
            "Assets": {"units": {"USD": [fact("2024-03-31", 500.0, "0000000001-24-000001", "2024-05-01")]}},
            "NetIncomeLoss": {
                "units": {
                    "USD": [
                        fact(
                            "2024-03-31",
                            7.0,
                            "0000000001-24-000001",
                            "2024-05-01",
                            start="2024-01-01",
                            frame="CY2024Q1",
                        ),
                        fact("2024-03-31", 20.0, "0000000001-24-000001", "2024-05-01", start="2023-04-01"),
                    ]
                }
            },
        },
        "dei": {
            "EntityCommonStockSharesOutstanding": {
                "units": {
                    "shares": [
                        fact("2024-04-25", 1_000_000, "0000000001-24-000001", "2024-05-01"),
                        fact("2024-04-25", 1_000_000, "0000000001-24-000001", "2024-05-01"),
                    ]
                }
            }
        },
    }
    fundamentals, shares = parse_companyfacts(facts_payload(1, facts), origin="own", ticker="SMLC")
    assert fundamentals.schema.equals(raw_dataset("fundamentals").arrow_schema(without_stamps=True))
    assert shares.schema.equals(raw_dataset("shares_outstanding").arrow_schema(without_stamps=True))
    rows = {(r["concept"], r["period_start"]): r for r in fundamentals.to_pylist()}
    assert rows[("Assets", None)]["value"] == 500.0  # an instant: no period_start
    assert rows[("NetIncomeLoss", date(2024, 1, 1))]["value"] == 7.0
    assert rows[("NetIncomeLoss", date(2024, 1, 1))]["frame"] == "CY2024Q1"
    assert rows[("NetIncomeLoss", date(2023, 4, 1))]["value"] == 20.0
    assert fundamentals.num_rows == 4
    assert shares.to_pylist() == [
        {
            "cik": 1,
            "ticker": "SMLC",
            "period_end": date(2024, 4, 25),
            "filed": date(2024, 5, 1),
            "shares": 1_000_000.0,
            "form": "10-Q",
            "accession": "0000000001-24-000001",
        }
    ]


def test_companyfacts_without_facts_or_not_json_or_with_a_bad_fact_is_a_source_error() -> None:
    with pytest.raises(SourceError, match=r"sec: https://data\.sec\.gov/x\.json: no 'facts'"):
        parse_companyfacts(b'{"cik": 1, "entityName": "X"}', origin="https://data.sec.gov/x.json")
    with pytest.raises(SourceError, match=r"sec: own: payload is not JSON .*Request Rate Threshold"):
        parse_companyfacts(HTML, origin="own")
    bad = {"us-gaap": {"Assets": {"units": {"USD": [{"val": 1.0, "accn": "a", "filed": "2024-05-01"}]}}}}
    with pytest.raises(SourceError, match=r"us-gaap:Assets \[USD\] #0: end None"):
        parse_companyfacts(facts_payload(1, bad), origin="own")
    with pytest.raises(SourceError, match="cik 'CIK1' is not a CIK"):
        parse_companyfacts(facts_payload("CIK1", {}), origin="own")


def test_has_us_gaap() -> None:
    gaap = {"us-gaap": {"Assets": {"units": {"USD": [fact("2024-03-31", 1.0, "a", "2024-05-01")]}}}}
    ifrs = {"ifrs-full": {"Assets": {"units": {"USD": [fact("2024-03-31", 1.0, "a", "2024-05-01")]}}}}
    assert has_us_gaap(facts_payload(1, gaap), origin="own")
    assert not has_us_gaap(facts_payload(1, ifrs), origin="own")
    assert not has_us_gaap(facts_payload(1, {"us-gaap": {}}), origin="own")


def test_submissions_own_payload() -> None:
    doc = {
        "cik": "0000000042",
        "name": "Small Co",
        "tickers": ["smlc", "smlcw"],
        "exchanges": ["NYSE", "NYSE"],
        "sic": "",
        "sicDescription": "",
        "fiscalYearEnd": "1231",
    }
    table = parse_submissions(json.dumps(doc).encode(), origin="own", as_of=D1)
    assert table.schema.equals(raw_dataset("companies").arrow_schema(without_stamps=True))
    assert table.to_pylist() == [
        {
            "cik": 42,
            "as_of": D1,
            "ticker": "SMLC",
            "name": "Small Co",
            "sic": None,
            "sic_description": None,
            "fiscal_year_end": "1231",
            "exchange": "NYSE",
        }
    ]
    with pytest.raises(SourceError, match=r"sec: own: CIK 42: 'tickers' is empty"):
        parse_submissions(json.dumps({**doc, "tickers": []}).encode(), origin="own", as_of=D1)
    with pytest.raises(SourceError, match="not JSON"):
        parse_submissions(HTML, origin="own", as_of=D1)


def test_company_tickers_own_payload() -> None:
    doc = {
        "0": {"cik_str": 789019, "ticker": "MSFT", "title": "MICROSOFT CORP"},
        "1": {"cik_str": 1067983, "ticker": "brk-b", "title": "BERKSHIRE HATHAWAY INC"},
        "2": {"cik_str": 5, "ticker": "MSFT", "title": "A LATER DUPLICATE"},
    }
    assert parse_company_tickers(json.dumps(doc).encode(), origin="own") == {"MSFT": 789019, "BRK-B": 1067983}
    with pytest.raises(SourceError, match=r"entries without a ticker .*\[0\]"):
        parse_company_tickers(b'{"0": {"title": "NO TICKER"}}', origin="own")
    with pytest.raises(SourceError, match="not JSON"):
        parse_company_tickers(HTML, origin="own")


ACCESSIONS = ["0000000001-24-000001", "0000000001-24-000002", "0000000002-24-000001"]
FACT = st.fixed_dictionaries(
    {
        "concept": st.sampled_from(["Revenues", "Assets"]),
        "start": st.sampled_from([None, "2024-01-01"]),
        "filed": st.sampled_from(["2024-05-01", "2024-05-02"]),
        "accn": st.sampled_from(ACCESSIONS),
        "val": st.integers(0, 3),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(FACT, max_size=12), st.randoms(use_true_random=False))
def test_companyfacts_key_is_unique_greatest_accession_wins_whatever_the_order(items: list[dict], rnd) -> None:
    def payload(order: list[dict]) -> bytes:
        facts: dict = {}
        for f in order:
            entry = fact("2024-03-31", f["val"], f["accn"], f["filed"], start=f["start"])
            facts.setdefault(f["concept"], {"units": {"USD": []}})["units"]["USD"].append(entry)
        return facts_payload(1, {"us-gaap": facts})

    parsed = read_companyfacts(payload(items), origin="own")
    frame = parsed.fundamentals.to_pandas()
    assert not frame.duplicated(FUNDAMENTALS_KEY).any()
    assert len(frame) + parsed.duplicates_dropped == len(items)
    for row in frame.itertuples():
        same = [
            f
            for f in items
            if (f["concept"], f["filed"]) == (row.concept, str(row.filed))
            and (f["start"] is None) == (row.period_start is None)
        ]
        assert row.accession == max(f["accn"] for f in same)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert read_companyfacts(payload(shuffled), origin="own").fundamentals.equals(parsed.fundamentals)


# --- SEC, real payloads --------------------------------------------------------------------------------------


@pytest.mark.fixtures
def test_real_mrvl_companyfacts() -> None:
    raw = real(MRVL_FACTS)
    doc = json.loads(raw)
    parsed = read_companyfacts(raw, origin=MRVL_FACTS.name, ticker="MRVL")
    frame = parsed.fundamentals.to_pandas()
    assert set(frame["cik"]) == {1835632} and set(frame["ticker"]) == {"MRVL"}
    assert not frame.duplicated(FUNDAMENTALS_KEY).any()
    total = sum(len(items) for t in doc["facts"].values() for c in t.values() for items in c["units"].values())
    assert len(frame) + parsed.duplicates_dropped == total
    assert frame.loc[frame["taxonomy"] == "us-gaap", "concept"].nunique() == len(doc["facts"]["us-gaap"]) == 378
    assert parsed.taxonomies == tuple(sorted(doc["facts"]))
    assert has_us_gaap(raw, origin=MRVL_FACTS.name)

    def row(concept: str, item: dict) -> pd.Series:
        start = date.fromisoformat(item["start"]) if "start" in item else None
        hit = frame[
            (frame["concept"] == concept)
            & (frame["period_end"] == date.fromisoformat(item["end"]))
            & (frame["filed"] == date.fromisoformat(item["filed"]))
            & (frame["period_start"].isna() if start is None else frame["period_start"] == start)
        ]
        assert len(hit) == 1
        return hit.iloc[0]

    assets = doc["facts"]["us-gaap"]["Assets"]["units"]["USD"][0]
    got = row("Assets", assets)
    assert "start" not in assets and pd.isna(got["period_start"])
    assert (got["value"], got["filed"], got["accession"]) == (
        assets["val"],
        date.fromisoformat(assets["filed"]),
        assets["accn"],
    )
    revenue = doc["facts"]["us-gaap"]["RevenueFromContractWithCustomerExcludingAssessedTax"]["units"]["USD"][0]
    got = row("RevenueFromContractWithCustomerExcludingAssessedTax", revenue)
    assert got["period_start"] == date.fromisoformat(revenue["start"])
    assert (got["value"], got["filed"], got["fiscal_year"], got["fiscal_period"], got["form"], got["frame"]) == (
        revenue["val"],
        date.fromisoformat(revenue["filed"]),
        revenue["fy"],
        revenue["fp"],
        revenue["form"],
        revenue["frame"],
    )

    shares = parsed.shares_outstanding.to_pandas()
    cover = doc["facts"]["dei"]["EntityCommonStockSharesOutstanding"]["units"]["shares"]
    assert len(shares) == len(cover) and not shares.duplicated(["cik", "period_end", "filed"]).any()
    first = shares[shares["accession"] == cover[0]["accn"]].iloc[0]
    assert (first["period_end"], first["filed"], first["shares"], first["form"]) == (
        date.fromisoformat(cover[0]["end"]),
        date.fromisoformat(cover[0]["filed"]),
        cover[0]["val"],
        cover[0]["form"],
    )


@pytest.mark.fixtures
def test_real_mrvl_submissions() -> None:
    table = parse_submissions(real(MRVL_SUBMISSIONS), origin=MRVL_SUBMISSIONS.name, as_of=date(2026, 6, 8))
    (row,) = table.to_pylist()
    assert row == {
        "cik": 1835632,
        "as_of": date(2026, 6, 8),
        "ticker": "MRVL",
        "name": "Marvell Technology, Inc.",
        "sic": 3674,
        "sic_description": "Semiconductors & Related Devices",
        "fiscal_year_end": "0130",
        "exchange": "Nasdaq",
    }


@pytest.mark.fixtures
def test_real_ifrs_filer_is_not_an_error() -> None:
    raw = real(LPA_FACTS)
    assert not has_us_gaap(raw, origin=LPA_FACTS.name)
    parsed = read_companyfacts(raw, origin=LPA_FACTS.name)
    frame = parsed.fundamentals.to_pandas()
    assert json.loads(raw)["cik"] == "0001997711"
    assert set(frame["cik"]) == {1997711}
    assert parsed.taxonomies == ("dei", "ifrs-full")
    assert (frame["taxonomy"] == "ifrs-full").sum() > 0 and "us-gaap" not in set(frame["taxonomy"])
    assert not frame.duplicated(FUNDAMENTALS_KEY).any()


@pytest.mark.fixtures
def test_real_company_tickers() -> None:
    raw = real(TICKERS)
    tickers = parse_company_tickers(raw, origin=TICKERS.name)
    assert tickers["MSFT"] == 789019
    assert tickers["MRVL"] == 1835632
    assert len(tickers) == len(json.loads(raw))


# --- Yahoo, the basis of the closes (download day = meta.regularMarketTime) ------------------------------------


def _day_stamps(days: list[date]) -> list[int]:
    return [stamp(d) for d in days]


# NVDA's case in small: a 2021 window downloaded on 2025-02-21 (Yahoo already divided it by the 10:1 split of
# 2024-06-10), and a second payload of the ticker from the next session (2022-01-03) through the download day,
# thinned to a few bars (its events cover its whole window; the span between its bars is what it vouches for).
NVDA_OLD_DAYS = [date(2021, 12, 29), date(2021, 12, 30), date(2021, 12, 31)]
NVDA_NEW_DAYS = [date(2022, 1, 3), date(2024, 6, 7), date(2024, 6, 10), date(2025, 2, 20), date(2025, 2, 21)]
DOWNLOADED_NVDA = stamp(date(2025, 2, 21), time(16, 0))
NVDA_OLD = chart(
    [(t, c, c) for t, c in zip(_day_stamps(NVDA_OLD_DAYS), [29.9, 29.5, 29.4], strict=True)],
    symbol="NVDA",
    market_time=DOWNLOADED_NVDA,
)
NVDA_NEW = chart(
    [(t, c, c) for t, c in zip(_day_stamps(NVDA_NEW_DAYS), [30.1, 120.9, 121.8, 140.1, 134.4], strict=True)],
    splits={stamp(date(2024, 6, 10)): (10, 1)},
    symbol="NVDA",
    market_time=DOWNLOADED_NVDA,
)


def test_a_window_ending_before_its_download_day_is_refused_alone() -> None:
    tables, refused = as_traded([("nvda-2021.json", parse_chart(NVDA_OLD, origin="nvda-2021.json"))])
    assert tables == []
    (reason,) = refused
    assert reason.startswith("yahoo: nvda-2021.json: NVDA last bar 2021-12-31, downloaded 2025-02-21")
    assert "\n" not in reason


def test_a_second_payload_reaching_the_download_day_supplies_the_later_split() -> None:
    old = parse_chart(NVDA_OLD, origin="old")
    new = parse_chart(NVDA_NEW, origin="new")
    tables, refused = as_traded([("old", old), ("new", new)])
    assert refused == []
    traded = {t.column("date").to_pylist()[0]: t for t in tables}
    # 2021 bars: x10 (the 2024-06-10 split lies in (bar, 2025-02-21]), volume / 10
    assert traded[NVDA_OLD_DAYS[0]].column("close").to_pylist() == pytest.approx([299.0, 295.0, 294.0])
    assert traded[NVDA_OLD_DAYS[0]].column("volume").to_pylist() == pytest.approx([100.0] * 3)
    # 2022-01-03 and 2024-06-07 are before the split (x10); the split day and later are as Yahoo sent them
    assert traded[NVDA_NEW_DAYS[0]].column("close").to_pylist() == pytest.approx([301.0, 1209.0, 121.8, 140.1, 134.4])
    assert {a for t in tables for a in t.column("adjusted").to_pylist()} == {"none"}
    assert all(t.column("basis_date").null_count == t.num_rows for t in tables)


def test_a_gap_between_the_payloads_is_refused_too() -> None:
    # The later payload starts 2025-02-20: 2022-01-03 .. 2025-02-19 is covered by none, so a split could hide there.
    late = chart([(stamp(date(2025, 2, 20)), 140.1, 140.1), (stamp(date(2025, 2, 21)), 134.4, 134.4)],
                 symbol="NVDA", market_time=DOWNLOADED_NVDA)  # fmt: skip
    tables, refused = as_traded([("old", parse_chart(NVDA_OLD, origin="old")), ("late", parse_chart(late, origin="l"))])
    assert len(tables) == 1 and tables[0].column("date").to_pylist()[0] == date(2025, 2, 20)
    assert refused and "NVDA last bar 2021-12-31, downloaded 2025-02-21" in refused[0] and "2022-01-03" in refused[0]


def test_a_window_reaching_its_download_day_lands_with_its_own_split_undone() -> None:
    # 4:1 on D3, downloaded on D4 (the last bar): as traded the bars before the split are 4x Yahoo's.
    payload = chart([(stamp(D1), 25.0, 25.0), (stamp(D2), 26.0, 26.0), (stamp(D3), 27.0, 27.0),
                     (stamp(D4), 28.0, 28.0)], splits={stamp(D3): (4, 1)})  # fmt: skip
    (table,), refused = as_traded([("own", parse_chart(payload, origin="own"))])
    assert refused == []
    assert table.column("close").to_pylist() == [100.0, 104.0, 27.0, 28.0]


def test_a_payload_without_regular_market_time_is_refused() -> None:
    with pytest.raises(SourceError, match=r"yahoo: own: SMLC: meta\.regularMarketTime is missing.*basis .*unknown"):
        parse_chart(chart([(stamp(D1), 10.0, 10.0)], market_time=None), origin="own")


@pytest.mark.fixtures
def test_real_aapl_window_of_2020_downloaded_2025_is_refused() -> None:
    # meta.regularMarketTime 1739998801 = 2025-02-19 16:00:01 New York; the last timestamp is 2020-11-06 09:30.
    raw = real(AAPL)
    table = parse_chart(raw, origin=AAPL.name)
    assert set(table.column("basis_date").to_pylist()) == {date(2025, 2, 19)}
    tables, refused = as_traded([(AAPL.name, table)])
    assert tables == [] and len(refused) == 1
    assert "AAPL last bar 2020-11-06, downloaded 2025-02-19" in refused[0]


@pytest.mark.fixtures
def test_real_tsla_dividends_only_request_is_refused() -> None:
    # regularMarketTime 1740171600 = 2025-02-21 16:00 New York; last bar 2023-08-11. The request asked for
    # dividends only, so the payload holds no split events at all (not even TSLA's 2020 5:1 and 2022 3:1).
    path = TSLA
    table = parse_chart(real(path), origin=path.name)
    assert pc.max(table.column("split_ratio")).as_py() == 1.0
    tables, refused = as_traded([(path.name, table)])
    assert tables == [] and "TSLA last bar 2023-08-11, downloaded 2025-02-21" in refused[0]


def _cover(val: float, accn: str, filed: str, end: str = "2025-02-20") -> dict:
    return {"end": end, "val": val, "accn": accn, "fy": 2024, "fp": "FY", "form": "10-K", "filed": filed}


def test_shares_of_a_filer_with_two_classes_are_summed_per_filing() -> None:
    """A cover page lists Class A and Class B apart and companyfacts drops the class: 40,000,000 + 9,500,000 shares
    in one 10-K are 49,500,000 shares, not the larger class alone (today's main kept 40,000,000). A count repeated in
    one accession is counted once; a same-day amendment (a later accession) replaces the original's total."""
    from sources.sec import parse_companyfacts

    doc = {
        "cik": 999001,
        "entityName": "TWO CLASS CO",
        "facts": {
            "dei": {
                "EntityCommonStockSharesOutstanding": {
                    "units": {
                        "shares": [
                            _cover(40_000_000, "0000999001-25-000001", "2025-03-01"),
                            _cover(9_500_000, "0000999001-25-000001", "2025-03-01"),
                            _cover(9_500_000, "0000999001-25-000001", "2025-03-01"),  # the same fact twice
                            _cover(41_000_000, "0000999001-25-000010", "2025-05-01", end="2025-04-25"),
                            _cover(9_000_000, "0000999001-25-000010", "2025-05-01", end="2025-04-25"),
                            _cover(41_500_000, "0000999001-25-000011", "2025-05-01", end="2025-04-25"),  # amendment
                            _cover(9_000_000, "0000999001-25-000011", "2025-05-01", end="2025-04-25"),
                        ]
                    }
                }
            },
            "us-gaap": {},
        },
    }
    _, shares = parse_companyfacts(json.dumps(doc).encode(), origin="two-class.json", ticker="TWOC")
    rows = {(str(r["period_end"]), r["accession"]): r["shares"] for r in shares.to_pylist()}
    assert rows == {
        ("2025-02-20", "0000999001-25-000001"): 49_500_000,
        ("2025-04-25", "0000999001-25-000011"): 50_500_000,
    }
