"""A company that joins the index after the seed gets its SEC filings history on its first nightly, not only new filings.

Two real nightlies against a local SEC and iShares mirror (other datasets demo). Night one (as of 2025-06-30):
the index is Marvell (MRVL, the real companyfacts and submissions payloads), seeded from statements_start.
Night two (2025-08-29): NEWB joins; a nightly asks SEC only for facts filed 2025-07-01..2025-08-29, so NEWB's
earlier filings must come from the newcomer history batch. NEWB's facts are hand-written in SEC's format and
filed on Marvell's filing days, so the history batch touches lake partitions that hold Marvell's rows.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from config.settings import load_settings
from flows.datasets import statements_start
from flows.nightly import nightly
from tests.flows.support import frame
from tests.sources.httpserver import LocalServer, Reply

pytestmark = pytest.mark.xdist_group("prefect")

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "fundamentals"
NIGHT_ONE, NIGHT_TWO = date(2025, 6, 30), date(2025, 8, 29)
MRVL, NEWB = 1835632, 9999001
# tiny_env: history_years 1, so statements_start(NIGHT_TWO) = 2025-08-29 less max(1, horizon 5) + rd 5 + 1 years
# = 2014-08-29, and shares outstanding history starts history_years back, 2024-08-29.
STATEMENTS_FROM, SHARES_FROM = date(2014, 8, 29), date(2024, 8, 29)


def fixture(name: str) -> Path:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"real payload not found at {path} (../shared/fixtures is absent)")
    return path


def _fact(end: str, val: float, filed: str, form: str, fy: int, fp: str, start: str | None = None) -> dict:
    accn = f"0009999001-{filed[2:4]}-{filed[5:7]}{filed[8:10]}"
    return {"start": start, "end": end, "val": val, "accn": accn, "fy": fy, "fp": fp, "form": form, "filed": filed}


# NEWB's facts (USD and shares). Filed 2013-03-01: before statements_start, never asked for. Filed 2022-03-10
# and 2024-03-13 (Marvell's 10-K days) and 2025-03-12 (also one): the history NEWB lacks. Filed 2025-08-29
# (Marvell's 10-Q day): inside night two's own window.
NEWB_FACTS = {
    "cik": NEWB,
    "entityName": "NEWCO PARTS INC",
    "facts": {
        "dei": {
            "EntityCommonStockSharesOutstanding": {
                "units": {
                    "shares": [
                        _fact("2022-02-28", 10_000_000, "2022-03-10", "10-K", 2021, "FY"),
                        _fact("2025-02-28", 10_500_000, "2025-03-12", "10-K", 2024, "FY"),
                        _fact("2025-08-15", 10_600_000, "2025-08-29", "10-Q", 2025, "Q2"),
                    ]
                }
            }
        },
        "us-gaap": {
            "Revenues": {
                "units": {
                    "USD": [
                        _fact("2012-12-31", 30_000_000, "2013-03-01", "10-K", 2012, "FY", "2012-01-01"),
                        _fact("2021-12-31", 50_000_000, "2022-03-10", "10-K", 2021, "FY", "2021-01-01"),
                        _fact("2023-12-31", 61_000_000, "2024-03-13", "10-K", 2023, "FY", "2023-01-01"),
                        _fact("2025-06-30", 17_000_000, "2025-08-29", "10-Q", 2025, "Q2", "2025-04-01"),
                    ]
                }
            },
            "ResearchAndDevelopmentExpense": {
                "units": {"USD": [_fact("2021-12-31", 4_000_000, "2022-03-10", "10-K", 2021, "FY", "2021-01-01")]}
            },
        },
    },
}
NEWB_SUBMISSIONS = {
    "cik": f"{NEWB:010d}",
    "name": "NEWCO PARTS INC",
    "tickers": ["NEWB"],
    "exchanges": ["NYSE"],
    "sic": "3714",
    "sicDescription": "Motor Vehicle Parts & Accessories",
    "fiscalYearEnd": "1231",
}


def holdings(as_of: date, tickers: list[str]) -> str:
    """An iShares holdings file (the real layout, banner and columns) holding `tickers` in equal weights."""
    lines = [
        "\ufeffiShares Russell 2000 ETF",
        f'Fund Holdings as of,"{as_of:%b %d, %Y}"',
        'Inception Date,"May 22, 2000"',
        " ",
        "Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,Location,Exchange,"
        "Currency,FX Rate,Market Currency,Accrual Date",
    ]
    weight = 100 / len(tickers)
    for ticker in tickers:
        lines.append(
            f'"{ticker}","{ticker} INC","Information Technology","Equity","1,000,000.00","{weight:.2f}",'
            f'"1,000,000.00","10,000.00","100.00","United States","NASDAQ","USD","1.00","USD","-"'
        )
    return "\n".join(lines) + "\n"


def test_a_company_joining_after_the_seed_gets_its_filings_history(
    tiny_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mrvl_facts, mrvl_submissions = fixture("companyfacts/CIK0001835632.json"), fixture("submissions/CIK0001835632.json")
    members = {"tickers": ["MRVL"], "as_of": NIGHT_ONE}

    def iwm(seen) -> Reply:
        return Reply.text(holdings(members["as_of"], members["tickers"]), "text/csv")

    with LocalServer() as server:
        server.route("/holdings.ajax", iwm)
        server.route(
            "/files/company_tickers.json",
            Reply.json(
                {
                    "0": {"cik_str": MRVL, "ticker": "MRVL", "title": "Marvell Technology, Inc."},
                    "1": {"cik_str": NEWB, "ticker": "NEWB", "title": "Newco Parts Inc"},
                }
            ),
        )
        server.route(f"/api/xbrl/companyfacts/CIK{MRVL:010d}.json", Reply.file(mrvl_facts))
        server.route(f"/submissions/CIK{MRVL:010d}.json", Reply.file(mrvl_submissions))
        server.route(f"/api/xbrl/companyfacts/CIK{NEWB:010d}.json", Reply.json(NEWB_FACTS))
        server.route(f"/submissions/CIK{NEWB:010d}.json", Reply.json(NEWB_SUBMISSIONS))
        for key, value in {
            "EEA_SOURCE_CONSTITUENTS": "ishares",
            "EEA_ISHARES_SMALL_CAP_URL": f"{server.url}/holdings.ajax?fileType=csv",
            "EEA_SOURCE_COMPANIES": "sec",
            "EEA_SOURCE_SHARES_OUTSTANDING": "sec",
            "EEA_SOURCE_FUNDAMENTALS": "sec",
            "EEA_SEC_USER_AGENT": "Jane Analyst jane@example.com",
            "EEA_SEC_DATA_URL": server.url,
            "EEA_SEC_WWW_URL": server.url,
            "EEA_HTTP_RETRIES": "1",
        }.items():
            monkeypatch.setenv(key, value)

        nightly(as_of=NIGHT_ONE)
        mrvl_before = frame(tiny_env, f"SELECT * FROM raw.fundamentals WHERE cik = {MRVL}")
        assert frame(tiny_env, f"SELECT count(*) AS n FROM raw.fundamentals WHERE cik = {NEWB}")["n"].item() == 0
        shared_days = frame(
            tiny_env,
            f"SELECT DISTINCT filed FROM raw.fundamentals WHERE cik = {MRVL} "
            "AND filed IN (DATE '2022-03-10', DATE '2024-03-13', DATE '2025-03-12')",
        )
        assert len(shared_days) == 3  # NEWB's history lands in partitions Marvell's rows are in

        members.update(tickers=["MRVL", "NEWB"], as_of=NIGHT_TWO)
        nightly(as_of=NIGHT_TWO)
        newb_asked = server.requests_to(f"/api/xbrl/companyfacts/CIK{NEWB:010d}.json")

    assert newb_asked  # night two asked SEC for NEWB
    assert statements_start(NIGHT_TWO, load_settings()) == STATEMENTS_FROM
    newb = frame(
        tiny_env,
        f"SELECT concept, filed, value, ticker FROM raw.fundamentals WHERE cik = {NEWB} ORDER BY filed, concept",
    )
    assert [(r.concept, r.filed.date(), r.value) for r in newb.itertuples()] == [
        ("EntityCommonStockSharesOutstanding", date(2022, 3, 10), 10_000_000),
        ("ResearchAndDevelopmentExpense", date(2022, 3, 10), 4_000_000),
        ("Revenues", date(2022, 3, 10), 50_000_000),
        ("Revenues", date(2024, 3, 13), 61_000_000),
        ("EntityCommonStockSharesOutstanding", date(2025, 3, 12), 10_500_000),
        ("EntityCommonStockSharesOutstanding", date(2025, 8, 29), 10_600_000),
        ("Revenues", date(2025, 8, 29), 17_000_000),
    ]  # the 2013 10-K is before statements_start and stays out
    assert set(newb["ticker"]) == {"NEWB"}
    shares = frame(tiny_env, f"SELECT filed, shares FROM raw.shares_outstanding WHERE cik = {NEWB} ORDER BY filed")
    # Share counts go back history_years (2024-08-29 on), as a seed would: the 2022 count stays out.
    assert [(r.filed.date(), r.shares) for r in shares.itertuples()] == [
        (date(2025, 3, 12), 10_500_000),
        (date(2025, 8, 29), 10_600_000),
    ]

    # Marvell's rows filed up to night one are exactly as they were (stamps included: not rewritten), and its
    # 10-Q of 2025-08-29 came with night two's own window.
    mrvl_after = frame(tiny_env, f"SELECT * FROM raw.fundamentals WHERE cik = {MRVL}")
    cols = list(mrvl_before.columns)
    old = mrvl_after[mrvl_after["filed"].dt.date <= NIGHT_ONE].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(old, mrvl_before.sort_values(cols).reset_index(drop=True), check_exact=True)
    new = mrvl_after[mrvl_after["filed"].dt.date > NIGHT_ONE]
    assert len(new) > 0 and set(new["filed"].dt.date) == {date(2025, 8, 29)}

    # The history is a batch of its own, from statements_start (share counts: history_years) to night one's end.
    batches = frame(
        tiny_env,
        "SELECT dataset, window_start, window_end, rows FROM meta.batches "
        f"WHERE as_of = DATE '{NIGHT_TWO}' AND dataset IN ('fundamentals', 'shares_outstanding') ORDER BY dataset, window_start",
    )
    assert [(r.dataset, r.window_start.date(), r.window_end.date(), r.rows) for r in batches.itertuples()] == [
        ("fundamentals", STATEMENTS_FROM, NIGHT_ONE, 5),
        ("fundamentals", date(2025, 7, 1), NIGHT_TWO, len(new) + 2),
        ("shares_outstanding", SHARES_FROM, NIGHT_ONE, 1),
        ("shares_outstanding", date(2025, 7, 1), NIGHT_TWO, 2),
    ]
