"""The real providers: each fetches over HTTP with the shared client, parses with its module's pure parser, and answers a Request."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
import pyarrow as pa
import pyarrow.compute as pc

from sources.base import Request, SourceError
from sources.http import HttpClient, user_agent

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger("eea.sources")


def _window(table: pa.Table, column: str, start: date, end: date) -> pa.Table:
    """Rows whose `column` date lies in [start, end]."""
    if table.num_rows == 0:
        return table
    col = table.column(column)
    mask = pc.and_(
        pc.greater_equal(col, pa.scalar(start, pa.date32())), pc.less_equal(col, pa.scalar(end, pa.date32()))
    )
    return table.filter(mask)


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    tables = [t.cast(schema) for t in tables if t.num_rows]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _contract(dataset: str) -> pa.Schema:
    from warehouse.ddl import raw_dataset

    return raw_dataset(dataset).arrow_schema(without_stamps=True)


class _PerTicker:
    """Fetch one payload per ticker; a ticker that fails is reported as missing and the rest go on."""

    name = ""
    # A batch holds only the tickers that answered, so it replaces only their rows of a partition.
    scope: ClassVar[dict[str, str]] = {
        "prices": "ticker",
        "options": "underlying",
        "companies": "cik",
        "fundamentals": "cik",
        "shares_outstanding": "cik",
        "transcripts": "ticker",
        "estimates": "ticker",
    }

    def __init__(self) -> None:
        self.missing: dict[str, dict[str, str]] = {}

    def _each(
        self, dataset: str, tickers: Iterable[str], fetch_one: Callable[[str], pa.Table | None]
    ) -> list[pa.Table]:
        out, missing = [], {}
        for ticker in tickers:
            try:
                table = fetch_one(ticker)
            except SourceError as exc:
                missing[ticker] = str(exc)
                log.warning("%s: %s missing for %s: %s", self.name, dataset, ticker, exc)
                continue
            if table is not None and table.num_rows:
                out.append(table)
        self.missing[dataset] = missing
        return out


def _need_tickers(request: Request, provider: str) -> tuple[str, ...]:
    if not request.tickers:
        raise SourceError(f"{provider}: {request.dataset} is fetched per ticker; the request named no tickers")
    return request.tickers


def _client(settings: Settings, provider: str, base_url: str, **kwargs: Any) -> HttpClient:
    return HttpClient(
        provider,
        base_url,
        timeout=settings.http_timeout_seconds,
        retries=settings.http_retries,
        backoff=settings.http_backoff_seconds,
        **kwargs,
    )


def _quarters(start: date, end: date) -> list[tuple[int, int]]:
    """Calendar (year, quarter) pairs from the one holding start to the one holding end."""
    year, quarter = start.year, (start.month - 1) // 3 + 1
    last = (end.year, (end.month - 1) // 3 + 1)
    out = []
    while (year, quarter) <= last:
        out.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def _epoch(day: date) -> int:
    return int(datetime.combine(day, time(0, 0), tzinfo=UTC).timestamp())


class YahooSource(_PerTicker):
    """Yahoo: daily bars from the chart API v8 (prices) and option chains from v7 (options)."""

    name = "yahoo"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.client = _client(settings, self.name, settings.yahoo_url)

    def datasets(self) -> frozenset[str]:
        return frozenset({"prices", "options"})

    def fetch(self, request: Request) -> pa.Table:
        if request.dataset == "prices":
            return self._prices(request)
        if request.dataset == "options":
            return self._options(request)
        raise SourceError(f"yahoo does not provide {request.dataset}")

    def _prices(self, request: Request) -> pa.Table:
        from sources.yahoo import as_traded, parse_chart

        # Yahoo's closes are split-adjusted through the download day, so ask through today (UTC, a day ahead of
        # New York at night): the payload then reaches its download day and holds every split its closes carry,
        # as_traded undoes them once, and only the bars the run asked for are kept.
        until = max(request.end, datetime.now(UTC).date()) + timedelta(days=1)

        def one(ticker: str) -> pa.Table:
            res = self.client.get(
                f"/v8/finance/chart/{ticker}",
                {"period1": _epoch(request.start), "period2": _epoch(until), "interval": "1d", "events": "div|split"},
            )
            if res.empty:
                return _contract("prices").empty_table()
            tables, refused = as_traded([(res.url, parse_chart(res.content, origin=res.url))])
            if refused:
                raise SourceError(refused[0])
            return _window(_concat(tables, _contract("prices")), "date", request.start, request.end)

        return _concat(self._each("prices", _need_tickers(request, self.name), one), _contract("prices"))

    def _options(self, request: Request) -> pa.Table:
        from sources.yahoo_options import expiration_dates, parse_yahoo_options

        def one(underlying: str) -> pa.Table:
            first = self.client.get(f"/v7/finance/options/{underlying}")
            payloads, origins = [first.content], [first.url]
            for expiry in expiration_dates(first.content)[1:]:
                res = self.client.get(f"/v7/finance/options/{underlying}", {"date": expiry})
                payloads.append(res.content)
                origins.append(res.url)
            table = parse_yahoo_options(payloads, origins=origins)
            return _window(table, "trade_date", request.start, request.end)

        return _concat(self._each("options", _need_tickers(request, self.name), one), _contract("options"))


class StooqSource(_PerTicker):
    """Stooq: daily bars as CSV (split- and dividend-adjusted by Stooq)."""

    name = "stooq"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.client = _client(settings, self.name, settings.stooq_url)

    def datasets(self) -> frozenset[str]:
        return frozenset({"prices"})

    def fetch(self, request: Request) -> pa.Table:
        from sources.stooq import parse_stooq_csv

        def one(ticker: str) -> pa.Table:
            res = self.client.get(
                "/q/d/l/",
                {"s": f"{ticker.lower()}.us", "i": "d", "d1": f"{request.start:%Y%m%d}", "d2": f"{request.end:%Y%m%d}"},
                expect="csv",
            )
            if res.empty:
                return _contract("prices").empty_table()
            return _window(
                parse_stooq_csv(res.content, origin=res.url, ticker=ticker, downloaded=_new_york_today()),
                "date",
                request.start,
                request.end,
            )

        return _concat(self._each("prices", _need_tickers(request, self.name), one), _contract("prices"))


class CboeSource(_PerTicker):
    """Cboe delayed quotes: daily history (prices) and today's option chain (options; Cboe keeps no history)."""

    name = "cboe"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.client = _client(settings, self.name, settings.cboe_url)

    def datasets(self) -> frozenset[str]:
        return frozenset({"prices", "options"})

    def fetch(self, request: Request) -> pa.Table:
        if request.dataset == "prices":
            from sources.cboe_prices import parse_cboe_history

            def price(ticker: str) -> pa.Table:
                res = self.client.get(f"/api/global/delayed_quotes/charts/historical/{ticker}.json")
                table = parse_cboe_history(res.content, origin=res.url, ticker=ticker, downloaded=_new_york_today())
                return _window(table, "date", request.start, request.end)

            return _concat(self._each("prices", _need_tickers(request, self.name), price), _contract("prices"))
        if request.dataset == "options":
            from sources.cboe_options import parse_cboe_chain

            def chain(underlying: str) -> pa.Table:
                res = self.client.get(f"/api/global/delayed_quotes/options/{underlying}.json")
                table = parse_cboe_chain(res.content, origin=res.url)
                # The chain is a snapshot of now: it lands only if its session is in the window.
                return _window(table, "trade_date", request.start, request.end)

            return _concat(self._each("options", _need_tickers(request, self.name), chain), _contract("options"))
        raise SourceError(f"cboe does not provide {request.dataset}")


class FredSource:
    """FRED: the 10-year Treasury (DGS10), from the API when a key is configured, else the keyless CSV."""

    name = "fred"
    series = "DGS10"

    def __init__(self, settings: Settings, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.csv = _client(settings, self.name, settings.fred_url)
        self.api = _client(settings, self.name, settings.fred_api_url)

    def datasets(self) -> frozenset[str]:
        return frozenset({"rates"})

    def fetch(self, request: Request) -> pa.Table:
        from sources.fred import parse_fred_csv, parse_fred_json

        if self.api_key:
            res = self.api.get(
                "/fred/series/observations",
                {
                    "series_id": self.series,
                    "api_key": self.api_key,
                    "file_type": "json",
                    "observation_start": request.start.isoformat(),
                    "observation_end": request.end.isoformat(),
                },
            )
            table = parse_fred_json(res.content, origin=res.url, series=self.series)
        else:
            res = self.csv.get(
                "/graph/fredgraph.csv",
                {"id": self.series, "cosd": request.start.isoformat(), "coed": request.end.isoformat()},
                expect="csv",
            )
            table = parse_fred_csv(res.content, origin=res.url, series=self.series)
        return _window(table, "date", request.start, request.end)


class ISharesSource:
    """iShares: the IWM holdings file (and optionally a large-cap fund's) as today's membership snapshot."""

    name = "ishares"

    def __init__(self, settings: Settings) -> None:
        self.urls = {"russell_2000": settings.ishares_small_cap_url}
        if settings.ishares_large_cap_url:
            self.urls["large_cap"] = settings.ishares_large_cap_url
        self.settings = settings

    def datasets(self) -> frozenset[str]:
        return frozenset({"constituents"})

    def fetch(self, request: Request) -> pa.Table:
        from sources.ishares import parse_holdings

        out = []
        for index_name, url in self.urls.items():
            parsed = httpx.URL(url)
            base = str(parsed.copy_with(raw_path=b"/", query=None)).rstrip("/")
            with _client(self.settings, self.name, base) as client:
                res = client.get(parsed.path, dict(parsed.params), expect="csv")
            table, as_of = parse_holdings(res.content, origin=res.url, as_of=request.end, index_name=index_name)
            if not request.start <= as_of <= request.end:
                # iShares serves only today's holdings: history comes from files (eea load).
                log.warning(
                    "ishares: %s holdings are as of %s, outside %s..%s", index_name, as_of, request.start, request.end
                )
                continue
            out.append(table)
        return _concat(out, _contract("constituents"))


class SecSource(_PerTicker):
    """SEC EDGAR: company facts (fundamentals, shares outstanding) and submissions (companies), at most N requests a second."""

    name = "sec"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        headers = {"User-Agent": user_agent(settings.sec_user_agent or "")}
        limiter_rate = settings.sec_rate_per_second
        self.data = _client(settings, self.name, settings.sec_data_url, headers=headers, rate_per_second=limiter_rate)
        self.www = _client(settings, self.name, settings.sec_www_url, headers=headers, rate_per_second=limiter_rate)
        self._ciks: dict[str, int] | None = None
        self._facts: dict[str, tuple[pa.Table, pa.Table]] = {}
        self.not_us_gaap: list[str] = []

    def datasets(self) -> frozenset[str]:
        return frozenset({"companies", "shares_outstanding", "fundamentals"})

    def ciks(self) -> dict[str, int]:
        from sources.sec import parse_company_tickers

        if self._ciks is None:
            res = self.www.get("/files/company_tickers.json")
            self._ciks = parse_company_tickers(res.content, origin=res.url)
        return self._ciks

    def _cik(self, ticker: str) -> int:
        cik = self.ciks().get(ticker.upper())
        if cik is None:
            raise SourceError(f"sec: no CIK for ticker {ticker} in company_tickers.json")
        return cik

    def _company_facts(self, ticker: str) -> tuple[pa.Table, pa.Table]:
        from sources.sec import has_us_gaap, parse_companyfacts

        if ticker not in self._facts:
            res = self.data.get(f"/api/xbrl/companyfacts/CIK{self._cik(ticker):010d}.json")
            if not has_us_gaap(res.content):
                self.not_us_gaap.append(ticker)
                log.warning(
                    "sec: %s files no us-gaap facts (an IFRS or foreign filer); its facts are kept as filed", ticker
                )
            self._facts[ticker] = parse_companyfacts(res.content, origin=res.url, ticker=ticker)
        return self._facts[ticker]

    def fetch(self, request: Request) -> pa.Table:
        from sources.sec import parse_submissions

        tickers = _need_tickers(request, self.name)
        if request.dataset == "companies":

            def company(ticker: str) -> pa.Table:
                res = self.data.get(f"/submissions/CIK{self._cik(ticker):010d}.json")
                return parse_submissions(res.content, origin=res.url, as_of=request.end)

            return _concat(self._each("companies", tickers, company), _contract("companies"))
        if request.dataset in ("fundamentals", "shares_outstanding"):
            pick = 0 if request.dataset == "fundamentals" else 1
            seen: set[int] = set()

            def facts(ticker: str) -> pa.Table | None:
                # Two share classes of one filer share a CIK: its facts land once.
                cik = self._cik(ticker)
                if cik in seen:
                    return None
                seen.add(cik)
                return _window(self._company_facts(ticker)[pick], "filed", request.start, request.end)

            return _concat(self._each(request.dataset, tickers, facts), _contract(request.dataset))
        raise SourceError(f"sec does not provide {request.dataset}")


class FilesSource:
    """Folders of files, one per dataset: transcripts (EEA_TRANSCRIPTS_DIR) and analyst estimates (EEA_ESTIMATES_DIR).

    One class, because runs build one source per provider name and both datasets are the provider 'files'.
    Only the dataset asked for needs its folder. Transcripts: every file, any of the layouts read_transcript
    knows. Estimates: every *.csv, parsed with the column mapping and scale from settings, as_of from the
    file's as_of column or else the YYYY-MM-DD in its name; a file with neither, or with a bad row, is refused
    and with it the batch, so a half-read folder never lands.
    """

    name = "files"
    folders: ClassVar[dict[str, tuple[str, str]]] = {
        "transcripts": ("transcripts_dir", "EEA_TRANSCRIPTS_DIR"),
        "estimates": ("estimates_dir", "EEA_ESTIMATES_DIR"),
    }

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def datasets(self) -> frozenset[str]:
        return frozenset(self.folders)

    def folder(self, dataset: str) -> Path:
        """The folder of `dataset`; SourceError naming its variable when it is unset or not a folder."""
        if dataset not in self.folders:
            raise SourceError(f"files does not provide {dataset}")
        field, variable = self.folders[dataset]
        folder: Path | None = getattr(self.settings, field)
        if folder is None:
            raise SourceError(f"files: {variable} is not set; point it at the folder of {dataset} files")
        if not folder.is_dir():
            raise SourceError(f"files: {variable}={folder} is not a folder")
        return folder

    def fetch(self, request: Request) -> pa.Table:
        folder = self.folder(request.dataset)
        if request.dataset == "transcripts":
            from sources.transcript_files import read_transcript, read_transcript_table

            rows = []
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                rows.append(read_transcript(path.read_bytes(), origin=str(path)))
            return _window(read_transcript_table(rows), "call_date", request.start, request.end)
        return self._estimates(folder, request)

    def _estimates(self, folder: Path, request: Request) -> pa.Table:
        from sources.estimates import date_in_name, parse_estimates_csv

        tables: list[pa.Table] = []
        origins: dict[tuple[str, int, date], Path] = {}
        # Spreadsheet lock files (~$x.csv) and hidden files are not exports.
        paths = sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix.lower() == ".csv" and not p.name.startswith(("~$", "."))
        )
        for path in paths:
            table = parse_estimates_csv(
                path.read_bytes(),
                origin=str(path),
                columns=self.settings.estimates_columns,
                scale=self.settings.estimates_scale,
                as_of=date_in_name(path.name),
            )
            table = _window(table, "as_of", request.start, request.end)
            for key in zip(*(table.column(c).to_pylist() for c in ("ticker", "fiscal_year", "as_of")), strict=True):
                if key in origins:
                    # (ticker, fiscal_year, as_of) is the raw key: two files must not disagree about one reading.
                    raise SourceError(
                        f"files: estimates of {key[0]} for {key[1]} as of {key[2]} are in both {origins[key]} and {path}"
                    )
                origins[key] = path
            tables.append(table)
        return _concat(tables, _contract("estimates"))


# The name the folder source had while it served transcripts only; kept for the callers that use it.
TranscriptFilesSource = FilesSource


class FmpSource(_PerTicker):
    """Financial Modeling Prep: earnings-call transcripts per ticker and quarter, and today's annual consensus estimates.

    Estimates come from /stable/analyst-estimates, which serves only the consensus of the moment, like iShares
    serves only today's holdings. The rows are dated request.end, the run's day: that is the latest settled
    session when a run starts at night or on a weekend, and the consensus does not move between it and the
    fetch. A window that ends before the last session before today (a backfill) cannot be served from
    today's consensus without dating it in the past, so, as ISharesSource does for a past window, nothing is
    fetched and a warning says so; history comes from files (provider 'files', or eea load). This is the one
    place the wall clock decides what lands, hence `today` (New York's date) is injectable.
    """

    name = "fmp"
    # A batch of estimates holds the tickers that answered, so it replaces only their rows of the day.

    def __init__(
        self, settings: Settings, api_key: str | None = None, *, today: Callable[[], date] | None = None
    ) -> None:
        super().__init__()
        if not api_key:
            raise SourceError("fmp: no API key; set EEA_FMP_API_KEY or EEA_FMP_API_KEY_BLOCK (a Prefect Secret block)")
        self.api_key = api_key
        self.client = _client(settings, self.name, settings.fmp_url)
        self.today = today or _new_york_today

    def datasets(self) -> frozenset[str]:
        return frozenset({"transcripts", "estimates"})

    def fetch(self, request: Request) -> pa.Table:
        if request.dataset == "transcripts":
            return self._transcripts(request)
        if request.dataset == "estimates":
            return self._estimates(request)
        raise SourceError(f"fmp does not provide {request.dataset}")

    def _transcripts(self, request: Request) -> pa.Table:
        from sources.transcript_files import parse_fmp_transcripts, read_transcript_table

        # Calls come weeks after the quarter they report, so a window reaches back one more quarter.
        quarters = _quarters(request.start - timedelta(days=120), request.end)

        def one(ticker: str) -> pa.Table:
            rows = []
            for year, quarter in quarters:
                res = self.client.get(
                    f"/api/v3/earning_call_transcript/{ticker}",
                    {"year": year, "quarter": quarter, "apikey": self.api_key},
                )
                if not res.empty:
                    rows.extend(parse_fmp_transcripts(res.content, origin=res.url))
            return _window(read_transcript_table(rows), "call_date", request.start, request.end)

        return _concat(self._each("transcripts", _need_tickers(request, self.name), one), _contract("transcripts"))

    def _estimates(self, request: Request) -> pa.Table:
        from sources.estimates import parse_fmp_estimates
        from transforms.calendar import trading_days

        tickers = _need_tickers(request, self.name)
        today = self.today()
        later = trading_days(request.end + timedelta(days=1), today - timedelta(days=1))
        if later:
            self.missing["estimates"] = {}
            log.warning(
                "fmp: estimates are today's consensus (%s); the window %s..%s ended before the session of %s, "
                "so nothing is fetched (past consensus comes from files)",
                today, request.start, request.end, later[-1],
            )  # fmt: skip
            return _contract("estimates").empty_table()

        def one(ticker: str) -> pa.Table:
            res = self.client.get(
                "/stable/analyst-estimates", {"symbol": ticker, "period": "annual", "apikey": self.api_key}
            )
            if res.empty:
                return _contract("estimates").empty_table()
            return parse_fmp_estimates(res.content, origin=res.url, as_of=request.end)

        return _concat(self._each("estimates", tickers, one), _contract("estimates"))


def _new_york_today() -> date:
    return datetime.now(ZoneInfo("America/New_York")).date()
