"""Downloaded payloads to raw tables: the same parser a provider's connector uses, chosen by dataset and provider."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import PurePath

import pyarrow as pa

from sources.base import SourceError

# What `eea load` accepts: dataset -> providers whose downloaded files it can read.
LOADABLE: dict[str, tuple[str, ...]] = {
    "constituents": ("ishares",),
    "prices": ("yahoo", "stooq", "cboe"),
    "rates": ("fred",),
    "fundamentals": ("sec", "sec_fsds"),
    "companies": ("sec",),
    "options": ("cboe", "yahoo"),
    "transcripts": ("files", "fmp"),
    "estimates": ("files", "fmp"),
}


def _ticker_from_name(origin: str) -> str:
    # Stooq names its downloads like iwm_us_d.csv: the ticker is the first part.
    return PurePath(origin).name.split("_")[0].split(".")[0].upper()


def parse_payloads(
    dataset: str,
    provider: str,
    payloads: Sequence[tuple[str, bytes]],
    *,
    as_of: date,
    ticker: str | None = None,
    estimate_columns: Mapping[str, str] | None = None,
    estimate_scale: float | None = None,
    downloaded: date | None = None,
    refused: list[str] | None = None,
) -> dict[str, pa.Table]:
    """(origin, bytes) payloads of one provider to raw tables per dataset (SEC company facts give two, an FSDS zip one).

    Prices: Yahoo payloads are brought back to as traded together (sources.yahoo.as_traded), so one payload's
    split events serve another of the same ticker; Stooq and Cboe files are adjusted through their download
    day, which the files do not hold, so `downloaded` must be given or they are refused. With a `refused` list,
    a prices file that cannot land is reported there (one line naming the provider, file and why) and the rest
    go on, since each prices file replaces only its own ticker's rows; without one the first such file raises.

    Estimates are dated by the payload (an as_of column), else the YYYY-MM-DD in the file's name, else `as_of`.
    A terminal CSV is read with `estimate_columns` and `estimate_scale`, by default EEA_ESTIMATES_COLUMNS and
    EEA_ESTIMATES_SCALE, the settings the 'files' provider uses for the same exports.
    """
    if provider not in LOADABLE.get(dataset, ()):
        choices = ", ".join(f"{d}: {'/'.join(p)}" for d, p in LOADABLE.items())
        raise SourceError(f"cannot load {dataset} files from {provider!r}; loadable are {choices}")
    out: dict[str, list[pa.Table]] = {}

    def add(name: str, table: pa.Table) -> None:
        out.setdefault(name, []).append(table)

    if dataset == "prices":
        return {"prices": _prices(provider, payloads, ticker=ticker, downloaded=downloaded, refused=refused)}
    if dataset == "options" and provider == "yahoo":
        from sources.yahoo_options import parse_yahoo_options

        add("options", parse_yahoo_options([p for _, p in payloads], origins=[o for o, _ in payloads]))
    for origin, payload in payloads:
        if dataset == "constituents":
            from sources.ishares import parse_holdings

            add("constituents", parse_holdings(payload, origin=origin, as_of=as_of)[0])
        elif dataset == "rates":
            from sources.fred import parse_fred_csv, parse_fred_json

            parse = parse_fred_json if payload.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{") else parse_fred_csv
            add("rates", parse(payload, origin=origin))
        elif dataset == "fundamentals" and provider == "sec_fsds":
            from sources.sec_fsds import parse_fsds

            if ticker is not None:
                # A quarter's zip holds every filer of the quarter: one ticker cannot name them.
                raise SourceError(f"sec_fsds: {origin}: --ticker {ticker} cannot apply to a quarter of many filers")
            add("fundamentals", parse_fsds(payload, origin=origin))
        elif dataset == "fundamentals":
            from sources.sec import parse_companyfacts

            facts, shares = parse_companyfacts(payload, origin=origin, ticker=ticker)
            add("fundamentals", facts)
            add("shares_outstanding", shares)
        elif dataset == "companies":
            from sources.sec import parse_submissions

            add("companies", parse_submissions(payload, origin=origin, as_of=as_of))
        elif dataset == "transcripts" and provider == "files":
            from sources.transcript_files import read_transcript, read_transcript_table

            add("transcripts", read_transcript_table([read_transcript(payload, origin=origin, ticker=ticker)]))
        elif dataset == "transcripts" and provider == "fmp":
            from sources.transcript_files import parse_fmp_transcripts, read_transcript_table

            add("transcripts", read_transcript_table(parse_fmp_transcripts(payload, origin=origin)))
        elif dataset == "estimates" and provider == "files":
            from sources.estimates import date_in_name, parse_estimates_csv

            if estimate_columns is None or estimate_scale is None:
                from config.settings import load_settings

                settings = load_settings()
                estimate_columns = settings.estimates_columns if estimate_columns is None else estimate_columns
                estimate_scale = settings.estimates_scale if estimate_scale is None else estimate_scale
            day = date_in_name(origin) or as_of
            add(
                "estimates",
                parse_estimates_csv(payload, origin=origin, columns=estimate_columns, scale=estimate_scale, as_of=day),
            )
        elif dataset == "estimates" and provider == "fmp":
            from sources.estimates import date_in_name, parse_fmp_estimates

            add("estimates", parse_fmp_estimates(payload, origin=origin, as_of=date_in_name(origin) or as_of))
        elif dataset == "options" and provider == "cboe":
            from sources.cboe_options import parse_cboe_chain

            add("options", parse_cboe_chain(payload, origin=origin))
    return {name: pa.concat_tables(tables) for name, tables in out.items()}


def _prices(
    provider: str,
    payloads: Sequence[tuple[str, bytes]],
    *,
    ticker: str | None,
    downloaded: date | None,
    refused: list[str] | None,
) -> pa.Table:
    """Prices files of one provider to raw `prices` rows; see parse_payloads for the basis rules."""
    from warehouse.ddl import raw_dataset

    schema = raw_dataset("prices").arrow_schema(without_stamps=True)
    tables: list[pa.Table] = []
    reasons: list[str] = []
    charts: list[tuple[str, pa.Table]] = []
    for origin, payload in payloads:
        try:
            if provider == "yahoo":
                from sources.yahoo import parse_chart

                charts.append((origin, parse_chart(payload, origin=origin)))
                continue
            if downloaded is None:
                what = "split- and dividend-adjusted" if provider == "stooq" else "split-adjusted"
                raise SourceError(
                    f"{provider}: {origin}: the bars are {what} through the day the file was downloaded, which the "
                    "file does not say, so their basis is unknown; give the download day (--downloaded YYYY-MM-DD)"
                )
            if provider == "stooq":
                from sources.stooq import parse_stooq_csv

                name = ticker or _ticker_from_name(origin)
                tables.append(parse_stooq_csv(payload, origin=origin, ticker=name, downloaded=downloaded))
            else:
                from sources.cboe_prices import parse_cboe_history

                tables.append(parse_cboe_history(payload, origin=origin, ticker=ticker, downloaded=downloaded))
        except SourceError as exc:
            if refused is None:
                raise
            reasons.append(str(exc))
    if charts:
        from sources.yahoo import as_traded

        converted, not_traded = as_traded(charts)
        if not_traded and refused is None:
            raise SourceError(not_traded[0])
        tables += converted
        reasons += not_traded
    if refused is not None:
        refused.extend(reasons)
    tables = [t.cast(schema) for t in tables if t.num_rows]
    return pa.concat_tables(tables) if tables else schema.empty_table()
