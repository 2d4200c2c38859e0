"""parse_cboe_chain, parse_yahoo_options and expiration_dates on hand-written payloads and on the real recorded ones."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.base import SourceError
from sources.cboe_options import parse_cboe_chain
from sources.yahoo_options import expiration_dates, parse_yahoo_options
from transforms.calendar import is_trading_day
from warehouse.ddl import raw_dataset

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
CBOE_AAPL = FIXTURES / "options" / "cboe" / "delayed_quotes" / "options" / "AAPL.json"
YAHOO = FIXTURES / "options" / "yahoo"
SCHEMA = raw_dataset("options").arrow_schema(without_stamps=True)
EASTERN = ZoneInfo("America/New_York")
HTML = b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>Try later</body></html>"


def real(path: Path) -> bytes:
    """The bytes of a recorded payload; the test skips where ../shared/fixtures is absent."""
    if not path.is_file():
        pytest.skip(f"real payload not found at {path} (../shared/fixtures is absent on this machine)")
    return path.read_bytes()


def epoch(year: int, month: int, day: int, hour: int = 16, minute: int = 0) -> int:
    """Epoch seconds of a New York wall-clock time."""
    return int(datetime(year, month, day, hour, minute, tzinfo=EASTERN).timestamp())


# --- CBOE: hand-written payloads -------------------------------------------------------------------------------------


def cboe_contract(option: str, **fields: Any) -> dict[str, Any]:
    """One entry of data.options with plausible values; keyword arguments override them."""
    row = {
        "option": option,
        "bid": 1.2,
        "bid_size": 10.0,
        "ask": 1.3,
        "ask_size": 12.0,
        "iv": 0.25,
        "open_interest": 100.0,
        "volume": 40.0,
        "delta": 0.4,
        "gamma": 0.05,
        "theo": 1.25,
        "last_trade_price": 1.22,
        "last_trade_time": "2026-07-24T15:30:00",
        "prev_day_close": 1.1,
    }
    return row | fields


def cboe_payload(
    options: list[Any] | None,
    timestamp: str = "2026-07-24 16:20:00",
    symbol: str = "IWM",
    **data: Any,
) -> bytes:
    """A CBOE delayed-quotes options document; data.options is left out when options is None."""
    body: dict[str, Any] = {"symbol": symbol, "current_price": 210.5, "close": 210.0} | data
    if options is not None:
        body["options"] = options
    return json.dumps({"timestamp": timestamp, "data": body, "symbol": symbol.lstrip("_")}).encode()


def test_cboe_rows_are_the_contracts_in_the_raw_contract() -> None:
    payload = cboe_payload(
        [
            cboe_contract("IWM260821P00200000", bid=3.1, ask=3.25, iv=0.31, delta=-0.35, volume=1500.0),
            cboe_contract("IWM260918C00215000", open_interest=7.0),
        ]
    )
    table = parse_cboe_chain(payload, origin="IWM.json")
    assert table.schema == SCHEMA
    common = {"underlying": "IWM", "trade_date": date(2026, 7, 24), "last": 1.22, "underlying_price": 210.5}
    assert table.to_pylist() == [
        common
        | {
            "contract": "IWM260821P00200000",
            "expiry": date(2026, 8, 21),
            "option_type": "P",
            "strike": 200.0,
            "volume": 1500.0,
            "open_interest": 100.0,
            "bid": 3.1,
            "ask": 3.25,
            "iv": 0.31,
            "delta": -0.35,
        },
        common
        | {
            "contract": "IWM260918C00215000",
            "expiry": date(2026, 9, 18),
            "option_type": "C",
            "strike": 215.0,
            "volume": 40.0,
            "open_interest": 7.0,
            "bid": 1.2,
            "ask": 1.3,
            "iv": 0.25,
            "delta": 0.4,
        },
    ]


def test_cboe_keeps_zero_iv_and_untraded_contracts_with_last_null_only_when_never_traded() -> None:
    payload = cboe_payload(
        [
            cboe_contract("IWM260821C00300000", iv=0.0, delta=0.0, bid=0.0, ask=0.0, volume=0.0, open_interest=0.0),
            cboe_contract("IWM260821P00100000", last_trade_price=0.0, last_trade_time=None),
            cboe_contract("IWM260821P00110000", last_trade_price=0.0),
            cboe_contract("IWM260821P00120000", last_trade_price=None, volume=None),
        ]
    )
    table = parse_cboe_chain(payload, origin="IWM.json")
    assert table.num_rows == 4
    assert table["iv"].to_pylist() == [0.0, 0.25, 0.25, 0.25]
    assert table["bid"].to_pylist()[0] == 0.0 and table["volume"].to_pylist() == [0.0, 40.0, 40.0, None]
    # 0 with a trade time is a recorded price; 0 with none is CBOE's "never traded".
    assert table["last"].to_pylist() == [1.22, None, 0.0, None]


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2026-07-25 03:44:38", date(2026, 7, 24)),  # Saturday night: Friday's session
        ("2026-07-27 08:00:00", date(2026, 7, 24)),  # Monday before the open: still Friday's numbers
        ("2026-07-27 09:30:00", date(2026, 7, 27)),  # the open itself
        ("2026-07-27 16:20:00", date(2026, 7, 27)),  # after the close
        ("2026-07-03 12:00:00", date(2026, 7, 2)),  # Independence Day observed, a Friday holiday
        ("2026-07-06 09:00:00", date(2026, 7, 2)),  # pre-open after a long weekend
        ("2026-07-27T20:20:00+00:00", date(2026, 7, 27)),  # an explicit UTC offset is converted to New York first
        ("2026-07-27T13:00:00+00:00", date(2026, 7, 24)),  # 09:00 in New York: before the open
    ],
)
def test_cboe_trade_date_is_the_session_the_snapshot_belongs_to(timestamp: str, expected: date) -> None:
    table = parse_cboe_chain(cboe_payload([cboe_contract("IWM260821P00200000")], timestamp), origin="IWM.json")
    assert table["trade_date"].to_pylist() == [expected]


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 12, 31)))
def test_cboe_trade_date_is_a_session_on_or_before_the_snapshot(taken: datetime) -> None:
    payload = cboe_payload([cboe_contract("IWM301220P00200000")], taken.strftime("%Y-%m-%d %H:%M:%S"))
    session = parse_cboe_chain(payload, origin="IWM.json")["trade_date"][0].as_py()
    assert is_trading_day(session) and session <= taken.date()
    open_yet = taken.hour * 60 + taken.minute >= 9 * 60 + 30
    assert (session == taken.date()) == (is_trading_day(taken.date()) and open_yet)
    # No session is skipped: none lies strictly between the one chosen and the snapshot.
    assert not any(is_trading_day(session + timedelta(days=k)) for k in range(1, (taken.date() - session).days))


def test_cboe_trade_date_given_by_the_caller_wins() -> None:
    payload = cboe_payload([cboe_contract("IWM260821P00200000")], "2026-07-25 03:44:38")
    table = parse_cboe_chain(payload, origin="IWM.json", trade_date=date(2026, 7, 23))
    assert table["trade_date"].to_pylist() == [date(2026, 7, 23)]


def test_cboe_index_underlying_loses_its_underscore_and_price_falls_back_to_close() -> None:
    payload = cboe_payload([cboe_contract("SPXW260821P05000000")], symbol="_spx", current_price=None, close=5400.0)
    table = parse_cboe_chain(payload, origin="_SPX.json")
    assert table["underlying"].to_pylist() == ["SPX"]
    assert table["underlying_price"].to_pylist() == [5400.0]


def test_cboe_padded_occ_symbol_becomes_the_compact_key() -> None:
    table = parse_cboe_chain(cboe_payload([cboe_contract("IWM   260821P00200000")]), origin="IWM.json")
    assert table["contract"].to_pylist() == ["IWM260821P00200000"]
    assert table["strike"].to_pylist() == [200.0]


def test_cboe_empty_chain_is_an_empty_table_in_the_contract() -> None:
    table = parse_cboe_chain(cboe_payload([]), origin="IWM.json")
    assert table.num_rows == 0 and table.schema == SCHEMA


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            cboe_payload([cboe_contract("IWM260821P00200000"), cboe_contract("IWM261321X0020")]),
            r"cboe: IWM\.json: .*'IWM261321X0020'",
        ),
        (HTML, r"cboe: IWM\.json: payload is not JSON.*<!DOCTYPE html>"),
        (cboe_payload(None), r"cboe: IWM\.json: no data\.options"),
        (b'{"timestamp": "2026-07-24 16:20:00", "symbol": "IWM"}', r"cboe: IWM\.json: no data\.options"),
        (cboe_payload([cboe_contract("IWM260821P00200000")] * 2), r"listed more than once: IWM260821P00200000"),
        (cboe_payload([cboe_contract("IWM260821P00200000", bid="1.2")]), r"non-numeric bid.*IWM260821P00200000='1.2'"),
        (cboe_payload([cboe_contract("IWM260821P00200000"), {"bid": 1.0}]), r"without an `option` symbol.*1"),
        (cboe_payload([cboe_contract("IWM260821P00200000")], timestamp="yesterday"), r"timestamp 'yesterday'"),
        (cboe_payload([cboe_contract("IWM260821P00200000")], symbol=""), r"no underlying symbol"),
    ],
)
def test_cboe_bad_payloads_raise_source_error_naming_origin_and_rows(payload: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_cboe_chain(payload, origin="IWM.json")


# --- CBOE: the real AAPL chain ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cboe_aapl() -> tuple[dict[str, Any], pa.Table]:
    payload = real(CBOE_AAPL)
    return json.loads(payload), parse_cboe_chain(payload, origin=CBOE_AAPL.name)


@pytest.mark.fixtures
def test_real_cboe_chain_keeps_every_contract_and_its_totals(cboe_aapl: tuple[dict[str, Any], pa.Table]) -> None:
    document, table = cboe_aapl
    contracts = document["data"]["options"]
    assert table.schema == SCHEMA
    assert table.num_rows == len(contracts) == 3576
    assert pa.compute.sum(table["volume"]).as_py() == sum(c["volume"] for c in contracts)
    assert pa.compute.sum(table["open_interest"]).as_py() == sum(c["open_interest"] for c in contracts)
    assert table["iv"].to_pylist().count(0.0) == sum(c["iv"] == 0.0 for c in contracts) == 354
    assert table["last"].null_count == sum(c["last_trade_time"] is None for c in contracts) == 598
    assert set(table["trade_date"].to_pylist()) == {date(2026, 7, 24)}
    assert set(table["underlying"].to_pylist()) == {"AAPL"}
    assert set(table["underlying_price"].to_pylist()) == {document["data"]["current_price"]}
    assert len(set(table["contract"].to_pylist())) == 3576


@pytest.mark.fixtures
def test_real_cboe_contract_values_are_the_json_values(cboe_aapl: tuple[dict[str, Any], pa.Table]) -> None:
    document, table = cboe_aapl
    source = next(c for c in document["data"]["options"] if c["option"] == "AAPL281215P00600000")
    row = next(r for r in table.to_pylist() if r["contract"] == "AAPL281215P00600000")
    assert {k: row[k] for k in ("bid", "ask", "iv", "delta")} == {k: source[k] for k in ("bid", "ask", "iv", "delta")}
    assert (row["expiry"], row["option_type"], row["strike"]) == (date(2028, 12, 15), "P", 600.0)
    assert (row["volume"], row["open_interest"], row["last"]) == (
        source["volume"],
        source["open_interest"],
        source["last_trade_price"],
    )


# --- Yahoo: hand-written payloads ------------------------------------------------------------------------------------


def yahoo_contract(symbol: str, **fields: Any) -> dict[str, Any]:
    """One entry of calls[] or puts[] with plausible values; a field set to None is left out, as Yahoo does."""
    row = {
        "contractSymbol": symbol,
        "strike": 999.0,  # ignored: the strike is read from the symbol
        "currency": "USD",
        "lastPrice": 2.5,
        "change": 0.1,
        "volume": 30,
        "openInterest": 250,
        "bid": 2.4,
        "ask": 2.6,
        "contractSize": "REGULAR",
        "lastTradeDate": epoch(2025, 2, 21, 15, 55),
        "impliedVolatility": 0.28,
        "inTheMoney": False,
    } | fields
    return {k: v for k, v in row.items() if v is not None}


def yahoo_payload(
    expiry: int,
    calls: list[dict[str, Any]],
    puts: list[dict[str, Any]],
    *,
    symbol: str = "IWM",
    market_time: int | None = None,
    price: float = 221.3,
    expirations: list[int] | None = None,
) -> bytes:
    """A Yahoo v7 options document carrying one expiry's calls and puts."""
    quote = {"symbol": symbol, "regularMarketPrice": price, "regularMarketTime": market_time or epoch(2025, 2, 21)}
    result = {
        "underlyingSymbol": symbol,
        "expirationDates": expirations if expirations is not None else [expiry],
        "strikes": [],
        "hasMiniOptions": False,
        "quote": quote,
        "options": [{"expirationDate": expiry, "hasMiniOptions": False, "calls": calls, "puts": puts}],
    }
    return json.dumps({"optionChain": {"result": [result], "error": None}}).encode()


MAR21 = int(datetime(2025, 3, 21, tzinfo=UTC).timestamp())
APR17 = int(datetime(2025, 4, 17, tzinfo=UTC).timestamp())


def test_yahoo_one_payload_to_rows_in_the_raw_contract() -> None:
    payload = yahoo_payload(
        MAR21,
        [yahoo_contract("IWM250321C00225000", bid=3.0, impliedVolatility=0.2)],
        [yahoo_contract("IWM250321P00215000")],
    )
    table = parse_yahoo_options([payload], origins=["IWM?"])
    assert table.schema == SCHEMA
    common = {
        "underlying": "IWM",
        "trade_date": date(2025, 2, 21),
        "expiry": date(2025, 3, 21),
        "volume": 30.0,
        "open_interest": 250.0,
        "ask": 2.6,
        "last": 2.5,
        "delta": None,
        "underlying_price": 221.3,
    }
    assert table.to_pylist() == [
        common | {"contract": "IWM250321C00225000", "option_type": "C", "strike": 225.0, "bid": 3.0, "iv": 0.2},
        common | {"contract": "IWM250321P00215000", "option_type": "P", "strike": 215.0, "bid": 2.4, "iv": 0.28},
    ]


def test_yahoo_payloads_are_concatenated_and_the_later_duplicate_wins() -> None:
    first = yahoo_payload(
        MAR21,
        [yahoo_contract("IWM250321C00225000", bid=1.0)],
        [yahoo_contract("IWM250321P00215000")],
        expirations=[MAR21, APR17],
    )
    second = yahoo_payload(
        APR17,
        [yahoo_contract("IWM250417C00230000")],
        [yahoo_contract("IWM250417P00210000")],
        price=221.9,
    )
    # A re-request of the first expiry, fresher: its quote replaces the first one's.
    again = yahoo_payload(MAR21, [yahoo_contract("IWM250321C00225000", bid=1.1)], [], price=222.0)
    table = parse_yahoo_options([first, second, again], origins=["IWM", f"IWM&date={APR17}", f"IWM&date={MAR21}"])
    rows = {r["contract"]: r for r in table.to_pylist()}
    assert table.num_rows == 4 == len(rows)
    assert (rows["IWM250321C00225000"]["bid"], rows["IWM250321C00225000"]["underlying_price"]) == (1.1, 222.0)
    assert rows["IWM250417P00210000"]["underlying_price"] == 221.9
    assert rows["IWM250321P00215000"]["underlying_price"] == 221.3
    assert table["contract"].to_pylist()[-1] == "IWM250321C00225000"


def test_yahoo_missing_fields_are_null() -> None:
    payload = yahoo_payload(
        MAR21,
        [yahoo_contract("IWM250321C00300000", volume=None, openInterest=None, bid=None, ask=None)],
        [
            yahoo_contract("IWM250321P00100000", impliedVolatility=None, lastPrice=0, lastTradeDate=None),
            yahoo_contract("IWM250321P00110000", lastPrice=None),
        ],
    )
    table = parse_yahoo_options([payload], origins=["IWM"])
    assert table["volume"].to_pylist() == [None, 30.0, 30.0]
    assert table["open_interest"].to_pylist() == [None, 250.0, 250.0]
    assert table["bid"].to_pylist() == [None, 2.4, 2.4] and table["ask"].to_pylist() == [None, 2.6, 2.6]
    assert table["iv"].to_pylist() == [0.28, None, 0.28]
    assert table["last"].to_pylist() == [2.5, None, None]
    assert table["delta"].null_count == 3


@pytest.mark.parametrize(
    ("market_time", "expected"),
    [
        (epoch(2025, 2, 21, 16, 0), date(2025, 2, 21)),  # Friday's close
        (epoch(2025, 2, 22, 11, 0), date(2025, 2, 21)),  # a Saturday stamp: the session before
        (epoch(2025, 2, 24, 20, 0), date(2025, 2, 24)),  # Monday evening in New York is already Tuesday in UTC
        (epoch(2025, 7, 3, 21, 30), date(2025, 7, 3)),  # summer time: 01:30 UTC on the July 4th holiday
    ],
)
def test_yahoo_trade_date_from_regular_market_time_in_new_york(market_time: int, expected: date) -> None:
    payload = yahoo_payload(MAR21, [yahoo_contract("IWM250321C00225000")], [], market_time=market_time)
    assert parse_yahoo_options([payload], origins=["IWM"])["trade_date"].to_pylist() == [expected]


def test_yahoo_payloads_of_different_sessions_raise_unless_trade_date_is_given() -> None:
    friday = yahoo_payload(MAR21, [yahoo_contract("IWM250321C00225000")], [], market_time=epoch(2025, 2, 21))
    monday = yahoo_payload(APR17, [yahoo_contract("IWM250417C00225000")], [], market_time=epoch(2025, 2, 24, 10))
    with pytest.raises(SourceError, match=r"yahoo: .*different sessions.*a=2025-02-21.*b=2025-02-24"):
        parse_yahoo_options([friday, monday], origins=["a", "b"])
    table = parse_yahoo_options([friday, monday], origins=["a", "b"], trade_date=date(2025, 2, 24))
    assert table["trade_date"].to_pylist() == [date(2025, 2, 24)] * 2


def test_yahoo_index_underlying_loses_its_caret() -> None:
    payload = yahoo_payload(MAR21, [yahoo_contract("SPXW250321C05000000")], [], symbol="^SPX")
    assert parse_yahoo_options([payload], origins=["^SPX"])["underlying"].to_pylist() == ["SPX"]


def test_yahoo_expiration_dates_lists_every_expiry_once_ascending() -> None:
    payload = yahoo_payload(MAR21, [], [], expirations=[APR17, MAR21, APR17])
    assert expiration_dates(payload, origin="IWM") == [MAR21, APR17]
    with pytest.raises(SourceError, match=r"yahoo: IWM: payload is not JSON"):
        expiration_dates(HTML, origin="IWM")


def test_yahoo_empty_expiry_is_an_empty_table_in_the_contract() -> None:
    table = parse_yahoo_options([yahoo_payload(MAR21, [], [])], origins=["IWM"])
    assert table.num_rows == 0 and table.schema == SCHEMA


def yahoo_error(error: dict[str, str]) -> bytes:
    return json.dumps({"optionChain": {"result": None, "error": error}}).encode()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (yahoo_error({"code": "Not Found", "description": "No data found"}), r"yahoo: IWM: .*error.*No data found"),
        (
            json.dumps(
                {"finance": {"result": None, "error": {"code": "Unauthorized", "description": "Invalid Crumb"}}}
            ).encode(),
            r"yahoo: IWM: .*Invalid Crumb",
        ),
        (HTML, r"yahoo: IWM: payload is not JSON.*<!DOCTYPE html>"),
        (b"Too Many Requests", r"yahoo: IWM: payload is not JSON.*Too Many Requests"),
        (json.dumps({"optionChain": {"result": [], "error": None}}).encode(), r"yahoo: IWM: .*no result"),
        (
            yahoo_payload(MAR21, [yahoo_contract("IWM250321C00225000"), yahoo_contract("IWM25032C225")], []),
            r"yahoo: IWM: .*'IWM25032C225'",
        ),
        (
            yahoo_payload(MAR21, [yahoo_contract("IWM250321P00225000")], []),
            r"wrong calls/puts list: IWM250321P00225000 in calls\[0\]",
        ),
        (yahoo_payload(MAR21, [yahoo_contract("IWM250321C00225000", bid="2.4")], []), r"non-numeric bid"),
        (yahoo_payload(MAR21, [{"strike": 225.0}], []), r"without a contractSymbol: calls\[0\]"),
    ],
)
def test_yahoo_bad_payloads_raise_source_error_naming_origin_and_rows(payload: bytes, message: str) -> None:
    good = yahoo_payload(APR17, [yahoo_contract("IWM250417C00225000")], [])
    with pytest.raises(SourceError, match=message):
        parse_yahoo_options([good, payload], origins=["IWM?first", "IWM"])


def test_yahoo_mismatched_payloads_are_refused() -> None:
    iwm = yahoo_payload(MAR21, [yahoo_contract("IWM250321C00225000")], [])
    spy = yahoo_payload(MAR21, [yahoo_contract("SPY250321C00600000")], [], symbol="SPY")
    with pytest.raises(SourceError, match=r"different underlyings.*a=IWM, b=SPY"):
        parse_yahoo_options([iwm, spy], origins=["a", "b"])
    with pytest.raises(ValueError, match="one origin per payload"):
        parse_yahoo_options([iwm, spy], origins=["a"])


def test_cboe_and_yahoo_tables_share_the_contract_and_the_key() -> None:
    cboe = parse_cboe_chain(cboe_payload([cboe_contract("IWM   250321C00225000")]), origin="IWM.json")
    yahoo = parse_yahoo_options([yahoo_payload(MAR21, [yahoo_contract("IWM250321C00225000")], [])], origins=["IWM"])
    both = pa.concat_tables([cboe, yahoo])
    assert both.schema == SCHEMA and set(both["contract"].to_pylist()) == {"IWM250321C00225000"}


# --- Yahoo: the real QQQ, EPAC and AAPL payloads ---------------------------------------------------------------------


def contracts_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every contract of a Yahoo document, calls then puts per expiry, straight from the JSON."""
    return [c for block in document["optionChain"]["result"][0]["options"] for c in block["calls"] + block["puts"]]


@pytest.mark.fixtures
@pytest.mark.parametrize(
    ("name", "rows", "underlying"),
    [
        ("options-QQQ.json", 180, "QQQ"),
        ("options-EPAC.json", 1, "EPAC"),
        ("options-AAPL-expire-2022-03-01.json", 0, "AAPL"),
    ],
)
def test_real_yahoo_payload_has_one_row_per_listed_contract(name: str, rows: int, underlying: str) -> None:
    payload = real(YAHOO / name)
    document = json.loads(payload)
    table = parse_yahoo_options([payload], origins=[name])
    assert table.schema == SCHEMA
    assert table.num_rows == len(contracts_of(document)) == rows
    assert set(table["underlying"].to_pylist()) <= {underlying}
    assert table["volume"].null_count == sum("volume" not in c for c in contracts_of(document))
    assert expiration_dates(payload, origin=name) == document["optionChain"]["result"][0]["expirationDates"]


@pytest.mark.fixtures
@pytest.mark.parametrize(
    ("name", "index"), [("options-QQQ.json", 0), ("options-QQQ.json", 150), ("options-EPAC.json", 0)]
)
def test_real_yahoo_contract_values_are_the_json_values(name: str, index: int) -> None:
    payload = real(YAHOO / name)
    document = json.loads(payload)
    source = contracts_of(document)[index]
    table = parse_yahoo_options([payload], origins=[name])
    row = next(r for r in table.to_pylist() if r["contract"] == source["contractSymbol"])
    assert (row["strike"], row["bid"], row["ask"], row["iv"]) == (
        source["strike"],
        source["bid"],
        source["ask"],
        source["impliedVolatility"],
    )
    assert (row["open_interest"], row["last"], row["delta"]) == (source["openInterest"], source["lastPrice"], None)
    assert row["expiry"] == datetime.fromtimestamp(source["expiration"], UTC).date()
    quote = document["optionChain"]["result"][0]["quote"]
    assert row["underlying_price"] == quote["regularMarketPrice"]
    # Recorded Monday 2025-02-24 before the open; the last regular trade was Friday's close.
    assert datetime.fromtimestamp(quote["regularMarketTime"], EASTERN).date() == date(2025, 2, 21)
    assert row["trade_date"] == date(2025, 2, 21)


@pytest.mark.fixtures
def test_real_yahoo_expired_request_contributes_nothing_and_agrees_on_the_session() -> None:
    """The AAPL payload asked for an expiry long gone: no contracts, but its quote still dates the chain."""
    name = "options-AAPL-expire-2022-03-01.json"
    payload = real(YAHOO / name)
    quote = json.loads(payload)["optionChain"]["result"][0]["quote"]
    follow_up = yahoo_payload(
        1740700800,
        [yahoo_contract("AAPL250228C00245000")],
        [],
        symbol="AAPL",
        market_time=epoch(2025, 2, 22, 9),  # a Saturday stamp belongs to Friday, like the real payload's
    )
    table = parse_yahoo_options([payload, follow_up], origins=[name, "AAPL&date=1740700800"])
    assert table["contract"].to_pylist() == ["AAPL250228C00245000"]
    assert table["trade_date"].to_pylist() == [date(2025, 2, 21)]
    assert datetime.fromtimestamp(quote["regularMarketTime"], EASTERN).date() == date(2025, 2, 21)
    assert 1646092800 not in expiration_dates(payload, origin=name)
