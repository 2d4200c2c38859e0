"""The one settings object: EEA_* environment variables, validated at start-up with messages that say what to fix."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sources.base import DATASETS
from sources.registry import AVAILABLE, KNOWN
from transforms.calendar import last_trading_day

ROOT = Path(__file__).resolve().parent.parent
NEW_YORK = ZoneInfo("America/New_York")
# The nightly run is for the day whose close is final; before this hour (New
# York time) today's bars are not in yet, so the default as-of is the day before.
CLOSE_SETTLED = time(18, 0)
# The demo market's first day; the history it seeds must start on or after it.
DEMO_ORIGIN = date(2010, 1, 4)


class SettingsError(ValueError):
    """Settings that cannot work; the message names each variable and what to do."""


def quiet_telemetry() -> None:
    """Switch off Prefect's and Great Expectations' phoning home; must run before either is imported."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def default_as_of(now: datetime | None = None) -> date:
    """The last trading day whose close has settled, in New York time."""
    now = (now or datetime.now(NEW_YORK)).astimezone(NEW_YORK)
    today = now.date()
    day = last_trading_day(today)
    if day == today and now.time() < CLOSE_SETTLED:
        day = last_trading_day(date.fromordinal(today.toordinal() - 1))
    return day


class Settings(BaseSettings):
    """Everything a run needs to know; each field is the environment variable EEA_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="EEA_", extra="ignore", validate_default=True)

    data_dir: Path = Field(default=ROOT / "data", description="where the warehouse, the lake and run state live")
    as_of: date | None = Field(default=None, description="run date; default: the last settled trading day")
    universe_small: int = Field(default=2000, description="small caps in the demo market (the index)")
    universe_large: int = Field(default=500, description="large caps in the demo market")
    history_years: int = Field(
        default=5, description="years of prices, fundamentals, estimates seeded on an empty warehouse"
    )
    options_history_years: int = Field(default=3, description="years of option chains seeded")
    transcript_quarters: int = Field(default=8, description="quarters of earnings calls seeded")
    demo_seed: int = Field(default=7, description="seed of the demo market: same seed, same market")
    lock_timeout_seconds: float = Field(default=0.0, description="how long a run waits for another writer to finish")

    # Real providers: base URLs are settings so a mirror or a local test server can stand in.
    sec_user_agent: str | None = Field(default=None, description="SEC asks for a contact: 'Name name@example.com'")
    sec_data_url: str = "https://data.sec.gov"
    sec_www_url: str = "https://www.sec.gov"
    sec_rate_per_second: float = Field(default=10.0, description="SEC's fair-access limit, across the whole run")
    yahoo_url: str = "https://query2.finance.yahoo.com"
    stooq_url: str = "https://stooq.com"
    cboe_url: str = "https://cdn.cboe.com"
    fred_url: str = "https://fred.stlouisfed.org"
    fred_api_url: str = "https://api.stlouisfed.org"
    ishares_small_cap_url: str = (
        "https://www.ishares.com/us/products/239710/ishares-russell-2000-etf/1467271812596.ajax"
        "?fileType=csv&fileName=IWM_holdings&dataType=fund"
    )
    ishares_large_cap_url: str | None = None
    fmp_url: str = "https://financialmodelingprep.com"
    transcripts_dir: Path | None = Field(default=None, description="folder of transcript files (provider 'files')")
    lexicon_path: Path | None = Field(
        default=None, description="Loughran-McDonald master dictionary CSV; unset: the project's own default lexicon"
    )
    sentiment_min_calls: int = Field(default=20, description="calls a side needs in a period not to be flagged thin")
    options_underlyings: str = Field(default="IWM,SPY", description="underlyings whose chains are kept each day")
    http_timeout_seconds: float = 30.0
    http_retries: int = 4
    extract_retries: int = Field(default=3, description="retries of a whole dataset's extract after a provider error")
    http_backoff_seconds: tuple[float, ...] = Field(default=(1.0, 2.0, 4.0, 8.0), description="waits between retries")
    # Secrets: read from the environment at run time (or a Prefect Secret block named here); never logged.
    fred_api_key: SecretStr | None = None
    fred_api_key_block: str | None = None
    fmp_api_key: SecretStr | None = None
    fmp_api_key_block: str | None = None

    # Analyst estimates from files (provider 'files'): CSV exports from a terminal, one or many, in a folder.
    estimates_dir: Path | None = Field(
        default=None, description="folder of analyst-estimate CSV files (provider 'files')"
    )
    estimates_columns: dict[str, str] = Field(
        default_factory=dict,
        description='our column -> the file\'s header, JSON, e.g. {"earnings": "Net Income Mean"}; unmapped columns '
        "are found by their own names (ticker, fiscal_year, revenue, earnings, eps, analysts), case-insensitive",
    )
    estimates_scale: float = Field(
        default=1.0, description="multiplier for revenue and earnings in estimate files (1e6 when exported in millions)"
    )

    # The Embedded Expectations model (EEA_MODEL.md): its parameters and the Uniform-style switches.
    eea_horizon: int = Field(default=5, description="explicit horizon H in years")
    eea_g_terminal: float = Field(default=0.04, description="long-run growth after year H, a fraction; must be < r")
    eea_beta: float = Field(default=1.0, description="beta in r = risk-free + beta x equity risk premium")
    eea_erp: float = Field(default=0.05, description="equity risk premium, a fraction")
    eea_capitalise_rd: bool = Field(default=True, description="capitalise R&D and amortise it over eea_rd_years")
    eea_rd_years: int = Field(default=5, description="straight-line amortisation life of capitalised R&D")
    eea_subtract_operating_liabilities: bool = Field(
        default=True, description="subtract accounts payable and accrued liabilities from assets"
    )
    eea_subtract_excess_cash: bool = Field(
        default=True, description="subtract cash above eea_operating_cash of revenue"
    )
    eea_operating_cash: float = Field(default=0.02, description="cash a business needs, as a share of revenue")
    eea_screen_size: int = Field(default=50, description="members in eea_screen")
    eea_include_financials: bool = Field(
        default=False,
        description="put banks, insurers and other financials (by SIC) in the index aggregate; by default they are "
        "left out with the reason in eea_exclusions (the nightly flow's include_financials parameter overrides it)",
    )
    eea_min_coverage: float = Field(
        default=2 / 3,
        description="share of the index's weight (members where weights are unknown) a fiscal year's value must "
        "stand on for eea_index.coverage_ok, which the chart and the report show",
    )
    sector_map_path: Path = Field(
        default=ROOT / "config" / "sector_groups.csv", description="SIC ranges of the sector groups (SIGNALS.md)"
    )

    # Growing past one machine (issue 9): where per-ticker shards run, and where the lake lives.
    task_runner: str = Field(
        default="process", description="'process' (in-process threads, the default) or 'dask' (a Dask cluster)"
    )
    dask_address: str | None = Field(
        default=None, description="scheduler address of an existing Dask cluster; unset: a local cluster is started"
    )
    dask_workers: int = Field(default=2, description="workers of the local Dask cluster started when no address")
    shard_size: int = Field(default=250, description="tickers per shard of per-ticker work")
    lake_url: str | None = Field(
        default=None, description="where the Parquet lake lives: unset for data_dir/lake, or s3://bucket/prefix"
    )
    s3_endpoint_url: str | None = Field(default=None, description="S3-compatible endpoint (MinIO, a local server)")
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None

    source_rates: str = "demo"
    source_prices: str = "demo"
    source_constituents: str = "demo"
    source_companies: str = "demo"
    source_shares_outstanding: str = "demo"
    source_fundamentals: str = "demo"
    source_estimates: str = "demo"
    source_transcripts: str = "demo"
    source_options: str = "demo"

    @field_validator("universe_small", "universe_large")
    @classmethod
    def _positive_universe(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of companies")
        return value

    @field_validator("history_years")
    @classmethod
    def _history(cls, value: int) -> int:
        if not 1 <= value <= 15:
            raise ValueError("must be between 1 and 15 years")
        return value

    @field_validator("lexicon_path")
    @classmethod
    def _lexicon_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(
                f"no file at {value}; point it at the Loughran-McDonald master dictionary CSV, or unset it"
            )
        return value

    @field_validator("task_runner")
    @classmethod
    def _runner(cls, value: str) -> str:
        if value not in ("process", "dask"):
            raise ValueError("must be 'process' or 'dask'")
        return value

    @field_validator("lake_url")
    @classmethod
    def _lake(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        bucket = value.removeprefix("s3://").split("/", 1)[0]
        if not value.startswith("s3://") or not bucket:
            raise ValueError("must be an s3://bucket/prefix URL, or unset for the lake under EEA_DATA_DIR")
        return value.rstrip("/")

    @field_validator("dask_workers", "shard_size")
    @classmethod
    def _positive_count(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive whole number")
        return value

    @field_validator("eea_horizon", "eea_rd_years", "eea_screen_size")
    @classmethod
    def _positive_int(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive whole number")
        return value

    @field_validator("eea_min_coverage")
    @classmethod
    def _a_share(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"must be a share between 0 and 1, got {value}")
        return value

    @field_validator("eea_g_terminal", "eea_erp", "eea_operating_cash", "estimates_scale")
    @classmethod
    def _sane_fraction(cls, value: float, info: ValidationInfo) -> float:
        if info.field_name == "estimates_scale":
            if not value > 0:
                raise ValueError("must be positive (1 for dollars, 1000000 for millions)")
        elif not -0.5 < value < 0.5:
            raise ValueError("is a fraction (0.04 for 4%), between -0.5 and 0.5")
        return value

    @field_validator("options_history_years", "transcript_quarters")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @field_validator(*(f"source_{d}" for d in DATASETS))
    @classmethod
    def _source_known(cls, name: str, info: ValidationInfo) -> str:
        dataset = str(info.field_name).removeprefix("source_")
        if name not in KNOWN[dataset]:
            raise ValueError(f"{name!r} is not a provider of {dataset}; choose one of {sorted(KNOWN[dataset])}")
        if name not in AVAILABLE[dataset]:
            raise ValueError(
                f"{name!r}: that provider of {dataset} is not built yet; available now: {sorted(AVAILABLE[dataset])}"
            )
        return name

    @model_validator(mode="after")
    def _sec_contact(self) -> Settings:
        uses_sec = [d for d in DATASETS if getattr(self, f"source_{d}") == "sec"]
        if uses_sec and not re.search(r"[\w.+-]+@[\w-]+\.[\w.-]+", self.sec_user_agent or ""):
            raise ValueError(
                f"EEA_SEC_USER_AGENT must name a contact with an e-mail address (SEC's fair-access rule) "
                f"because {', '.join(uses_sec)} come from sec; e.g. EEA_SEC_USER_AGENT='Jane Doe jane@example.com'"
            )
        return self

    @model_validator(mode="after")
    def _s3_credentials(self) -> Settings:
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError(
                "EEA_S3_ACCESS_KEY_ID and EEA_S3_SECRET_ACCESS_KEY go together: set both, or neither "
                "(then the standard AWS credential chain is used: AWS_ACCESS_KEY_ID, ~/.aws, an instance role)"
            )
        endpoint = self.s3_endpoint_url
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"EEA_S3_ENDPOINT_URL {endpoint!r} must start with http:// or https://")
        return self

    @property
    def option_underlyings(self) -> tuple[str, ...]:
        return tuple(u.strip().upper() for u in self.options_underlyings.split(",") if u.strip())

    def source_for(self, dataset: str) -> str:
        """The provider configured for a dataset."""
        return str(getattr(self, f"source_{dataset}"))

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def resolved_as_of(self, as_of: date | None = None, now: datetime | None = None) -> date:
        """The run date: the one asked for (rolled back to a trading day) or the last settled one; never the future."""
        now = (now or datetime.now(NEW_YORK)).astimezone(NEW_YORK)
        wanted = as_of or self.as_of
        if wanted is None:
            return default_as_of(now)
        if wanted > now.date():
            raise SettingsError(
                f"as_of {wanted} is in the future (today is {now.date()} in New York); "
                "set EEA_AS_OF (or --as-of) to today or earlier, or leave it unset for the last settled trading day"
            )
        day = last_trading_day(wanted)
        earliest = date(DEMO_ORIGIN.year + self.history_years, DEMO_ORIGIN.month, DEMO_ORIGIN.day)
        if any(self.source_for(d) == "demo" for d in DATASETS) and day < earliest:
            raise SettingsError(
                f"as_of {day} with EEA_HISTORY_YEARS={self.history_years} would seed demo history before the demo "
                f"market starts ({DEMO_ORIGIN}); use an as_of on or after {earliest} or fewer history years"
            )
        return day

    def check_data_dir(self) -> None:
        """Fail now, not mid-run, if the data directory cannot be created or written."""
        path = self.data_dir
        try:
            path.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
                pass
        except OSError as exc:
            raise SettingsError(
                f"EEA_DATA_DIR={str(path)!r} is not a writable directory ({exc.strerror or exc}); "
                "point EEA_DATA_DIR at a directory this user can write"
            ) from exc


def load_settings(**overrides: Any) -> Settings:
    """Read and validate settings from the environment (and overrides), raising SettingsError that says what to fix."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            var = f"EEA_{field.upper()}" if field else "settings"
            lines.append(f"{var}: {err['msg'].removeprefix('Value error, ')} (got {err.get('input')!r})")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
    settings.check_data_dir()
    return settings
