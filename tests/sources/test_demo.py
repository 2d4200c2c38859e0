"""Tests of the demo source: contracts, keys, determinism, window independence, point in time, market realism."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.base import DATASETS, Request
from sources.demo import DemoSource
from sources.demo.market import build_market
from sources.demo.schema import PARTITION
from sources.demo.universe import build_universe
from transforms.calendar import last_trading_day, trading_days

RAW_SQL = Path(__file__).resolve().parents[2] / "warehouse" / "schema" / "raw.sql"
STAMPS = {"batch_id", "source", "loaded_at"}
SQL_TO_ARROW = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
}
END = date(2021, 12, 15)
# A demo ticker: a stem of letters and one digit. A listed US equity symbol: 1-5 letters, a share class after '.'
# or '-'; letters only, so no demo ticker can be one.
DEMO_TICKER = r"[A-Z]{2,5}[2-9]"
LISTED_US_SYMBOL = re.compile(r"^[A-Z]{1,5}([.-][A-Z])?$")
WINDOWS = {ds: (date(2021, 1, 4), END) for ds in DATASETS} | {"options": (date(2021, 11, 1), END)}
POSITIVE_WORDS = {
    "STRONG",
    "IMPROVED",
    "GAINS",
    "ACHIEVED",
    "SUCCESS",
    "PROGRESS",
    "OPPORTUNITIES",
    "EXCELLENT",
    "BENEFIT",
    "PLEASED",
    "STRENGTH",
    "IMPROVEMENT",
    "IMPROVEMENTS",
    "EFFECTIVE",
    "EXCITED",
}
NEGATIVE_WORDS = {
    "DECLINE",
    "DECLINED",
    "WEAK",
    "WEAKNESS",
    "LOSS",
    "LOSSES",
    "CHALLENGING",
    "DIFFICULT",
    "ADVERSE",
    "DISRUPTION",
    "DELAYED",
    "HURT",
    "WORSE",
    "OBSOLETE",
    "DISAPPOINTING",
    "CANCELLATIONS",
}


def raw_contracts() -> dict[str, tuple[list[tuple[str, pa.DataType, bool]], list[str]]]:
    """Per raw table: (column, Arrow type, NOT NULL) without the landing stamps, and the key (PRIMARY KEY or UNIQUE)."""
    out = {}
    for match in re.finditer(r"CREATE TABLE raw\.(\w+) \((.*?)\n\);", RAW_SQL.read_text(), re.S):
        columns, key = [], []
        for line in match.group(2).splitlines():
            line = line.split("--")[0].strip().rstrip(",")
            if line.startswith(("PRIMARY KEY", "UNIQUE")):
                key = [k.strip() for k in line[line.index("(") + 1 : line.rindex(")")].split(",")]
            elif line:
                name, kind = line.split()[:2]
                if name not in STAMPS:
                    columns.append((name, SQL_TO_ARROW[kind], "NOT NULL" in line))
        out[match.group(1)] = (columns, key)
    return out


CONTRACTS = raw_contracts()


def fetch(src: DemoSource, dataset: str, start: date, end: date, tickers: tuple[str, ...] | None = None) -> pa.Table:
    """src.fetch for one dataset and window."""
    return src.fetch(Request(dataset, start, end, tickers))


def sorted_by_key(table: pa.Table, dataset: str) -> pa.Table:
    """Rows in key order, so tables built in different orders compare equal."""
    return table.sort_by([(k, "ascending") for k in CONTRACTS[dataset][1]])


def month_ends(start: date, end: date) -> set[date]:
    """The last session of each calendar month in [start, end]."""
    sessions = trading_days(start, end + timedelta(days=40))
    return {d for d, nxt in itertools.pairwise(sessions) if d.month != nxt.month and d <= end}


def adjusted_returns(prices: pd.DataFrame) -> pd.Series:
    """Daily total returns from as-traded closes, splits and dividends, per ticker."""
    p = prices.sort_values(["ticker", "date"])
    prev = p.groupby("ticker").close.shift(1)
    growth = (p.close * p.split_ratio + p.dividend) / prev
    return pd.Series(np.log(growth), index=growth.index).dropna()


def test_raw_sql_parses_into_nine_contracts() -> None:
    assert set(CONTRACTS) == set(DATASETS)
    assert all(key for _, key in CONTRACTS.values())


@pytest.mark.parametrize("dataset", DATASETS)
def test_columns_and_types_match_raw_sql(demo: DemoSource, dataset: str) -> None:
    table = fetch(demo, dataset, *WINDOWS[dataset])
    columns = CONTRACTS[dataset][0]
    assert table.num_rows > 0
    assert table.schema.names == [c for c, _, _ in columns]
    assert [f.type for f in table.schema] == [t for _, t, _ in columns]
    for name, _, not_null in columns:
        if not_null:
            assert table.column(name).null_count == 0, name


@pytest.mark.parametrize("dataset", DATASETS)
def test_primary_keys_are_unique(demo: DemoSource, dataset: str) -> None:
    frame = fetch(demo, dataset, *WINDOWS[dataset]).select(CONTRACTS[dataset][1]).to_pandas()
    assert not frame.duplicated().any()


@pytest.mark.parametrize("dataset", DATASETS)
def test_nothing_dated_after_the_window(demo: DemoSource, dataset: str) -> None:
    start, end = WINDOWS[dataset]
    frame = fetch(demo, dataset, start, end).to_pandas()
    part = frame[PARTITION[dataset]]
    assert part.min() >= start and part.max() <= end
    for column in ("period_end", "period_start", "filed", "as_of", "date", "call_date", "trade_date"):
        if column in frame:
            assert frame[column].dropna().max() <= end, column
    if dataset in ("fundamentals", "shares_outstanding"):
        assert (frame.period_end <= frame.filed).all()


def test_same_seed_rebuilt_from_scratch_gives_identical_tables() -> None:
    first = {ds: fetch(DemoSource(11, 40, 10), ds, *WINDOWS[ds]) for ds in DATASETS}
    build_market.cache_clear()
    build_universe.cache_clear()
    again = {ds: fetch(DemoSource(11, 40, 10), ds, *WINDOWS[ds]) for ds in DATASETS}
    for ds in DATASETS:
        assert first[ds].equals(again[ds]), ds


def test_another_seed_gives_another_market(demo: DemoSource) -> None:
    mine = fetch(demo, "prices", date(2020, 1, 2), date(2020, 3, 31))
    other = fetch(DemoSource(8, 60, 15), "prices", date(2020, 1, 2), date(2020, 3, 31))
    assert not mine.equals(other)


@pytest.mark.parametrize("dataset", ["prices", "options", "fundamentals", "transcripts", "rates", "shares_outstanding"])
def test_a_day_alone_equals_its_slice_of_a_long_window(demo: DemoSource, dataset: str) -> None:
    end = END
    long = fetch(demo, dataset, end - timedelta(days=300), end)
    day = pc.max(long.column(PARTITION[dataset])).as_py()
    alone = fetch(demo, dataset, day, day)
    sliced = long.filter(pc.equal(long.column(PARTITION[dataset]), pa.scalar(day, pa.date32())))
    assert alone.num_rows > 0
    assert sorted_by_key(alone, dataset).equals(sorted_by_key(sliced, dataset))


@pytest.mark.parametrize("dataset", DATASETS)
def test_a_later_end_keeps_earlier_rows(demo: DemoSource, dataset: str) -> None:
    # The later end lies in the next calendar year, so the market is simulated through another date.
    start = date(2021, 11, 1)
    short = fetch(demo, dataset, start, END)
    longer = fetch(demo, dataset, start, END + timedelta(days=40))
    part = PARTITION[dataset]
    # Snapshots taken for the request's own end date are there because it was the end.
    cut = last_trading_day(END) if dataset in ("constituents", "companies", "estimates") else END + timedelta(days=1)
    a = short.filter(pc.less(short.column(part), pa.scalar(cut, pa.date32())))
    b = longer.filter(pc.less(longer.column(part), pa.scalar(cut, pa.date32())))
    assert a.num_rows > 0 or dataset in ("fundamentals",)
    assert sorted_by_key(a, dataset).equals(sorted_by_key(b, dataset))


@settings(max_examples=6, deadline=None)
@given(start=st.dates(date(2012, 1, 1), date(2021, 6, 1)), span=st.integers(0, 60), lead=st.integers(1, 400))
def test_prices_and_rates_never_depend_on_the_window(start: date, span: int, lead: int) -> None:
    src = DemoSource(7, 60, 15)
    end = start + timedelta(days=span)
    for dataset in ("prices", "rates"):
        narrow = fetch(src, dataset, start, end)
        wide = fetch(src, dataset, max(date(2010, 1, 4), start - timedelta(days=lead)), end)
        part = wide.column(PARTITION[dataset])
        sliced = wide.filter(pc.greater_equal(part, pa.scalar(start, pa.date32())))
        assert narrow.equals(sliced)


def test_bad_windows_and_names_raise(demo: DemoSource) -> None:
    with pytest.raises(ValueError):
        fetch(demo, "prices", date(2009, 12, 31), date(2010, 2, 1))
    with pytest.raises(ValueError):
        fetch(
            demo,
            "prices",
            date(2020, 1, 1),
            trading_days(date(2020, 1, 1), date(2200, 1, 1))[-1] + timedelta(1),
        )
    with pytest.raises(ValueError):
        fetch(demo, "prices", date(2020, 2, 1), date(2020, 1, 1))
    with pytest.raises(ValueError):
        fetch(demo, "weather", date(2020, 1, 1), date(2020, 2, 1))
    with pytest.raises(ValueError):
        demo.tickers("nasdaq_100", date(2020, 1, 2))


def test_interface(demo: DemoSource) -> None:
    assert demo.name == "demo"
    assert demo.datasets() == frozenset(DATASETS)
    empty = fetch(demo, "options", date(2014, 1, 2), date(2014, 12, 31))
    assert empty.num_rows == 0 and empty.schema.names == [c for c, _, _ in CONTRACTS["options"][0]]


def test_tickers_narrow_the_universe(demo: DemoSource) -> None:
    members = demo.tickers("russell_2000", date(2021, 6, 30))
    picked = tuple(members[:3])
    prices = fetch(demo, "prices", date(2021, 6, 1), date(2021, 6, 30), picked)
    assert set(prices.column("ticker").to_pylist()) == set(picked)
    spy = fetch(demo, "options", date(2021, 6, 1), date(2021, 6, 3), ("SPY",))
    assert set(spy.column("underlying").to_pylist()) == {"SPY"}


def test_prices_are_sessions_with_consistent_bars(demo: DemoSource) -> None:
    frame = fetch(demo, "prices", date(2019, 1, 2), END).to_pandas()
    sessions = set(trading_days(date(2019, 1, 2), END))
    assert set(frame.date) <= sessions
    low, high = frame.low, frame.high
    body_lo, body_hi = np.minimum(frame.open, frame.close), np.maximum(frame.open, frame.close)
    assert (low > 0).all() and (low <= body_lo).all() and (body_hi <= high).all()
    assert (frame.volume > 0).all() and (frame.dividend >= 0).all() and (frame.split_ratio > 0).all()
    assert set(frame.adjusted) == {"none"}


def test_splits_dividends_delistings_additions_and_deletions_all_happen(moderate: DemoSource) -> None:
    start, end = date(2016, 6, 1), date(2021, 6, 1)
    prices = fetch(moderate, "prices", start, end).to_pandas().sort_values(["ticker", "date"])
    ratios = prices.split_ratio[prices.split_ratio != 1.0]
    assert (ratios > 1).sum() >= 5 and (ratios < 1).sum() >= 1
    assert set(ratios) <= {2.0, 3.0, 1.5, 0.1}
    # The as-traded close moves by the split on its date.
    prev = prices.groupby("ticker").close.shift(1)
    jump = (prices.close * prices.split_ratio / prev)[prices.split_ratio != 1.0]
    assert jump.between(0.5, 2.0).all()
    payers = prices[prices.dividend > 0].ticker.nunique()
    assert 0.2 < payers / prices.ticker.nunique() < 0.6
    last_day = prices.groupby("ticker").date.max()
    assert (last_day < end - timedelta(days=10)).sum() >= 20
    snaps = fetch(moderate, "constituents", start, end).to_pandas()
    small = snaps[snaps.index_name == "russell_2000"].groupby("as_of").ticker.apply(set).sort_index()
    added = sum(len(b - a) for a, b in itertools.pairwise(small))
    dropped = sum(len(a - b) for a, b in itertools.pairwise(small))
    assert added >= 20 and dropped >= 20


def test_constituents_weights_holdings_and_snapshot_dates(demo: DemoSource) -> None:
    frame = fetch(demo, "constituents", date(2020, 1, 2), END).to_pandas()
    sums = frame.groupby(["index_name", "as_of"]).weight.sum()
    assert ((sums - 100).abs() <= 0.5).all()
    assert np.allclose(frame.shares_held * frame.price, frame.market_value, rtol=1e-9, atol=0.01)
    assert set(frame.asset_class) == {"Equity"} and set(frame.index_name) == {"russell_2000", "large_cap"}
    assert month_ends(date(2020, 1, 2), END) <= set(frame.as_of)
    assert last_trading_day(END) in set(frame.as_of)
    counts = frame.groupby(["as_of", "index_name"]).size().unstack()
    assert counts.large_cap.between(13, 17).all() and counts.russell_2000.between(50, 75).all()
    june = frame[frame.as_of == last_trading_day(date(2021, 6, 25))]
    assert (june.index_name == "russell_2000").sum() == 60 and (june.index_name == "large_cap").sum() == 15
    assert demo.tickers("large_cap", date(2021, 6, 25)) == sorted(june[june.index_name == "large_cap"].ticker)


def test_market_value_is_shares_outstanding_times_price(moderate: DemoSource) -> None:
    snaps = fetch(moderate, "constituents", date(2020, 1, 2), END).to_pandas()
    snaps["as_of"] = pd.to_datetime(snaps.as_of)
    shares = fetch(moderate, "shares_outstanding", date(2019, 1, 2), END).to_pandas()
    shares["filed"] = pd.to_datetime(shares.filed)
    shares = shares.sort_values("filed")
    merged = pd.merge_asof(
        snaps.sort_values("as_of"),
        shares[["ticker", "filed", "shares"]],
        left_on="as_of",
        right_on="filed",
        by="ticker",
    ).dropna(subset=["shares"])
    ratio = merged.market_value / (merged.shares * merged.price)
    for _, part in merged.assign(ratio=ratio).groupby("index_name"):
        close = (part.ratio / part.ratio.median() - 1).abs() < 0.1
        assert close.mean() > 0.9


def test_companies_list_every_live_company_with_consistent_codes(demo: DemoSource) -> None:
    comp = fetch(demo, "companies", date(2021, 1, 4), END).to_pandas()
    cons = fetch(demo, "constituents", date(2021, 1, 4), END).to_pandas()
    assert set(comp.as_of) == set(cons.as_of)
    for day, part in cons.groupby("as_of"):
        assert set(part.ticker) <= set(comp[comp.as_of == day].ticker)
    assert comp.ticker.str.fullmatch(DEMO_TICKER).all()
    assert comp.groupby("ticker").cik.nunique().max() == 1 and comp.groupby("cik").ticker.nunique().max() == 1
    assert set(comp.fiscal_year_end) <= {"0331", "0630", "0930", "1231"}
    assert set(comp.exchange) <= {"NYSE", "NASDAQ"}
    joined = comp.merge(cons[["ticker", "sector"]].drop_duplicates(), on="ticker")
    assert joined.groupby("sic").sector.nunique().max() == 1


def test_fundamentals_look_like_10k_filings(moderate: DemoSource) -> None:
    facts = fetch(moderate, "fundamentals", date(2017, 1, 2), END).to_pandas()
    assert set(facts.form) == {"10-K"} and set(facts.fiscal_period) == {"FY"}
    assert {"Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax", "SalesRevenueNet"} <= set(facts.concept)
    assert facts.accession.str.fullmatch(r"\d{10}-\d{2}-\d{6}").all()
    per_filing = facts.groupby("accession")
    assert (per_filing.filed.nunique() == 1).all() and (per_filing.cik.nunique() == 1).all()
    dei = facts[facts.taxonomy == "dei"]
    assert set(dei.concept) == {"EntityCommonStockSharesOutstanding"} and set(dei.unit) == {"shares"}
    assert set(dei.accession) == set(facts.accession)
    wide = facts[facts.taxonomy == "us-gaap"].pivot_table(
        index=["accession", "period_end"], columns="concept", values="value"
    )
    pretax = wide["IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest"]
    assert ((wide.NetIncomeLoss - (pretax - wide.IncomeTaxExpenseBenefit)).abs() <= 2000).all()
    current = facts[(facts.concept == "Assets")]
    lag = (pd.to_datetime(current.filed) - pd.to_datetime(current.period_end)).dt.days
    own = current[lag < 120]
    assert lag[lag < 120].between(45, 95).all() and len(own) == facts.accession.nunique()
    # A 10-K repeats last year's values; a few restate them.
    repeated = current.groupby(["cik", "period_end"]).filed.nunique()
    assert (repeated == 2).mean() > 0.5
    restated = current.groupby(["cik", "period_end"]).value.nunique()
    assert (restated > 1).sum() >= 1
    has_rd = facts[facts.concept == "ResearchAndDevelopmentExpense"].cik.nunique()
    assert 0 < has_rd < facts.cik.nunique()


def test_share_counts_follow_filings_and_splits(moderate: DemoSource) -> None:
    counts = fetch(moderate, "shares_outstanding", date(2014, 1, 2), END).to_pandas()
    assert set(counts.form) == {"10-K", "10-Q"}
    gap = (pd.to_datetime(counts.filed) - pd.to_datetime(counts.period_end)).dt.days
    assert gap.between(1, 21).all()
    prices = fetch(moderate, "prices", date(2014, 1, 2), END).to_pandas()
    splits = prices[prices.split_ratio >= 2.0]
    checked = 0
    for _, split in splits.iterrows():
        mine = counts[counts.ticker == split.ticker]
        before = mine[mine.period_end < split.date - timedelta(days=5)].tail(1)
        after = mine[mine.period_end > split.date + timedelta(days=5)].head(1)
        if len(before) and len(after) and (after.period_end.iloc[0] - before.period_end.iloc[0]).days < 200:
            change = after.shares.iloc[0] / before.shares.iloc[0]
            assert 0.8 * split.split_ratio < change < 1.25 * split.split_ratio
            checked += 1
    assert checked >= 1


def test_realism_of_the_moderate_market(moderate: DemoSource) -> None:
    start, end = date(2016, 6, 1), date(2021, 6, 1)
    facts = fetch(moderate, "fundamentals", start, end).to_pandas()
    snaps = fetch(moderate, "constituents", start, end).to_pandas()
    small = set(snaps[snaps.index_name == "russell_2000"].ticker)
    latest = (
        facts[facts.taxonomy == "us-gaap"].sort_values("filed").groupby(["ticker", "concept", "period_end"]).tail(1)
    )
    wide = latest.pivot_table(index=["ticker", "period_end"], columns="concept", values="value").reset_index()
    wide = wide.sort_values(["ticker", "period_end"])
    wide["prior_assets"] = wide.groupby("ticker").Assets.shift(1)
    wide = wide.dropna(subset=["prior_assets", "OperatingIncomeLoss"])
    wide = wide[wide.ticker.isin(small)]
    pretax = wide["IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest"]
    tax = (wide.IncomeTaxExpenseBenefit / pretax).clip(0, 0.35).fillna(0.25)
    roa = wide.OperatingIncomeLoss * (1 - tax) / ((wide.Assets + wide.prior_assets) / 2)
    assert 0.02 < roa.median() < 0.10
    assert 0.01 < (wide.OperatingIncomeLoss < 0).mean() < 0.10
    growth = wide.Assets / wide.prior_assets - 1
    assert 0.0 < growth.median() < 0.10

    prices = fetch(moderate, "prices", start, end).to_pandas()
    returns = adjusted_returns(prices[prices.ticker.isin(small)])
    excess_kurtosis = ((returns - returns.mean()) ** 4).mean() / returns.var() ** 2 - 3
    assert excess_kurtosis > 3
    daily_vol = returns.groupby(prices.loc[returns.index, "ticker"]).std().median()
    assert 0.02 < daily_vol < 0.04

    day = snaps.as_of.max()
    members = snaps[(snaps.as_of == day) & (snaps.index_name == "russell_2000")].set_index("ticker")
    shares = fetch(moderate, "shares_outstanding", date(2020, 1, 2), end).to_pandas()
    shares = shares.sort_values("filed").groupby("ticker").shares.last()
    last = latest.sort_values("period_end").groupby(["ticker", "concept"]).value.last().unstack()
    ev = (
        members.price * shares.reindex(members.index)
        + last.LongTermDebt.reindex(members.index)
        - last.CashAndCashEquivalentsAtCarryingValue.reindex(members.index)
    )
    ratio = (ev / last.Assets.reindex(members.index)).dropna()
    assert len(ratio) > 200 and 0.3 < ratio.median() < 1.2
    assert members.price.between(5, 80).mean() > 0.5 and (members.price < 5).any()


def test_estimates_cover_the_next_two_unreported_years(demo: DemoSource) -> None:
    est = fetch(demo, "estimates", date(2020, 1, 2), END).to_pandas()
    facts = fetch(demo, "fundamentals", date(2010, 1, 4), END).to_pandas()
    assert est.analysts.between(1, 15).all()
    pairs = est.groupby(["ticker", "as_of"]).fiscal_year.agg(["min", "max", "count"])
    assert (pairs["count"] == 2).all() and (pairs["max"] - pairs["min"] == 1).all()
    assert set(est.as_of) <= month_ends(date(2020, 1, 2), END) | {last_trading_day(END)}
    for ticker, part in list(est.groupby("ticker"))[:20]:
        known = facts[(facts.ticker == ticker) & (facts.concept == "Assets")]
        for as_of, rows in part.groupby("as_of"):
            reported = known[known.filed <= as_of].fiscal_year
            if len(reported):
                assert rows.fiscal_year.min() == reported.max() + 1


def test_analysts_are_optimistic(moderate: DemoSource) -> None:
    est = fetch(moderate, "estimates", date(2015, 1, 2), END).to_pandas()
    facts = fetch(moderate, "fundamentals", date(2015, 1, 2), END).to_pandas()
    income = (
        facts[(facts.concept == "NetIncomeLoss") & (facts.fiscal_year == pd.to_datetime(facts.period_end).dt.year)]
        .groupby(["ticker", "fiscal_year"])
        .value.first()
    )
    early = (
        est[pd.to_datetime(est.as_of).dt.year == est.fiscal_year].groupby(["ticker", "fiscal_year"]).earnings.first()
    )
    both = pd.concat([early.rename("estimate"), income.rename("actual")], axis=1).dropna()
    assert len(both) > 300
    # Typically 5-10% too high; in a strong year the actuals beat the consensus in aggregate.
    assert 0.03 < ((both.estimate - both.actual) / both.actual.abs()).median() < 0.25
    assert 0.9 < both.estimate.sum() / both.actual.sum() < 1.2


def test_transcripts_have_speaker_blocks(demo: DemoSource) -> None:
    calls = fetch(demo, "transcripts", date(2021, 1, 4), END).to_pandas()
    assert set(calls.layout) == {"speaker_blocks"}
    assert calls.title.str.fullmatch(r".+ \([A-Z]{2,5}[2-9]\) Q[1-4] \d{4} Earnings Call").all()
    roles = re.compile(r"(Operator|Chief Executive Officer|Chief Financial Officer|Analyst, .+ Securities)")
    for text, title in zip(calls.text, calls.title, strict=True):
        head, blank, _ = text.split("\n", 2)
        assert head == title and blank == ""
        blocks = text.split("\n\n")[1:]
        headers = [b.split("\n")[0] for b in blocks]
        assert all(" -- " in h and roles.fullmatch(h.split(" -- ")[1]) for h in headers)
        assert all(len(b.split("\n")) >= 2 for b in blocks)
        assert headers[0].startswith("Operator") and headers[-1].startswith("Operator")
        qa = next(i for i, b in enumerate(blocks) if "question-and-answer session" in b)
        assert headers[qa].startswith("Operator") and "Analyst" in headers[qa + 1]
        assert all("Analyst" not in h for h in headers[:qa])
        assert 300 <= len(text.split()) <= 700
    counts = calls.groupby(["ticker", "fiscal_year", "fiscal_quarter"]).size()
    assert (counts == 1).all()


def test_transcript_tone_follows_the_company(moderate: DemoSource) -> None:
    calls = fetch(moderate, "transcripts", date(2015, 1, 2), END).to_pandas()
    prices = fetch(moderate, "prices", date(2014, 6, 2), END).to_pandas()
    prices["r"] = adjusted_returns(prices)
    prices["trailing"] = prices.sort_values("date").groupby("ticker").r.transform(lambda s: s.rolling(63).sum())
    words = calls.text.str.upper().str.findall(r"[A-Z]+")
    pos = words.apply(lambda ws: sum(w in POSITIVE_WORDS for w in ws))
    neg = words.apply(lambda ws: sum(w in NEGATIVE_WORDS for w in ws))
    calls["tone"] = (pos - neg) / (pos + neg).replace(0, np.nan)
    calls["before"] = pd.to_datetime(calls.call_date).astype("datetime64[ns]") - timedelta(days=30)
    prices["date"] = pd.to_datetime(prices.date).astype("datetime64[ns]")
    joined = pd.merge_asof(
        calls.sort_values("before"),
        prices[["ticker", "date", "trailing"]].sort_values("date"),
        left_on="before",
        right_on="date",
        by="ticker",
    ).dropna(subset=["tone", "trailing"])
    assert joined.tone.mean() > 0
    assert joined.tone.corr(joined.trailing, method="spearman") > 0.1


def test_option_chains(demo: DemoSource) -> None:
    chain = fetch(demo, "options", date(2021, 11, 1), END).to_pandas()
    parsed = chain.contract.str.extract(r"^(IWM|SPY)(\d{6})([CP])(\d{8})$")
    assert parsed.notna().all().all()
    assert (parsed[0] == chain.underlying).all() and (parsed[2] == chain.option_type).all()
    assert np.allclose(parsed[3].astype(int) / 1000, chain.strike)
    assert (pd.to_datetime(parsed[1], format="%y%m%d").dt.date == chain.expiry).all()
    assert (chain.expiry > chain.trade_date).all()
    assert set(chain.expiry) <= set(trading_days(date(2021, 11, 1), date(2023, 1, 31)))
    per_expiry = chain.groupby(["underlying", "trade_date", "expiry", "option_type"]).size()
    assert per_expiry.max() <= 25 and per_expiry.median() >= 15
    assert ((chain.strike / chain.underlying_price - 1).abs() <= 0.2).all()
    assert (chain.bid < chain.ask).all() and (chain.bid >= 0).all()
    assert (chain.iv >= 0).all() and (chain.iv == 0).mean() < 0.1 and (chain.iv == 0).any()
    assert chain.loc[chain.iv == 0, "last"].isna().mean() > 0.2
    assert chain[chain.option_type == "P"].delta.between(-1, 0).all()
    assert chain[chain.option_type == "C"].delta.between(0, 1).all()
    both = (
        chain[chain.iv > 0]
        .pivot_table(index=["underlying", "trade_date", "expiry", "strike"], columns="option_type", values="iv")
        .dropna()
    )
    assert (both.P - both.C).median() > 0
    assert ((chain.volume == 0) | (chain.volume >= 1)).all() and (chain.volume == 0).any()
    assert (chain.volume % 1 == 0).all() and (chain.open_interest % 1 == 0).all()


def test_rates_are_a_plausible_ten_year_yield(demo: DemoSource) -> None:
    rates = fetch(demo, "rates", date(2016, 1, 4), END).to_pandas()
    assert set(rates.series) == {"DGS10"}
    assert 0 < rates.value.isna().mean() < 0.03
    assert rates.value.dropna().between(1.0, 6.0).all()
    assert rates.value.diff().abs().max() < 0.5


@pytest.mark.slow
def test_full_size_market_has_full_indexes() -> None:
    src = DemoSource()
    snaps = fetch(src, "constituents", date(2021, 6, 1), date(2021, 6, 30)).to_pandas()
    recon = snaps[snaps.as_of == last_trading_day(date(2021, 6, 25))]
    assert (recon.index_name == "russell_2000").sum() == 2000 and (recon.index_name == "large_cap").sum() == 500


# -- demo tickers can never be listed US symbols ---------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_small=st.integers(1, 120), n_large=st.integers(1, 40))
def test_no_demo_ticker_has_the_shape_of_a_listed_us_symbol(seed: int, n_small: int, n_large: int) -> None:
    tickers = build_universe(seed, n_small, n_large).ticker.tolist()
    assert not [t for t in tickers if LISTED_US_SYMBOL.match(t)]
    assert all(re.fullmatch(DEMO_TICKER, t) for t in tickers)
    assert len(set(tickers)) == len(tickers)


def test_default_market_tickers_are_unlisted_shapes_and_fixed_by_seed() -> None:
    # The market `make run` builds (both universes, every IPO to come), and the tickers its raw tables carry.
    first = build_universe(7, 2000, 500).ticker.tolist()
    assert not [t for t in first if LISTED_US_SYMBOL.match(t)]
    build_universe.cache_clear()
    assert build_universe(7, 2000, 500).ticker.tolist() == first


def test_every_ticker_the_demo_source_sends_is_unlisted(demo: DemoSource) -> None:
    for dataset in ("constituents", "companies", "prices", "estimates", "transcripts", "fundamentals"):
        frame = fetch(demo, dataset, *WINDOWS[dataset]).to_pandas()
        tickers = frame.ticker.dropna().astype(str)
        assert len(tickers) and not tickers.str.match(LISTED_US_SYMBOL.pattern).any(), dataset
