"""Bad settings stop at start-up with a message that names the variable and says what to fix."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from config.settings import NEW_YORK, SettingsError, default_as_of, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_source_names_the_variable_and_the_choices(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"EEA_SOURCE_PRICES: 'bloomberg' is not a provider of prices; choose one of "
                                            r"\['cboe', 'demo', 'files', 'stooq', 'yahoo'\]"):  # fmt: skip
        load_settings(data_dir=tmp_path, source_prices="bloomberg")


def test_a_universe_of_size_zero_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="EEA_UNIVERSE_SMALL: must be a positive number of companies"):
        load_settings(data_dir=tmp_path, universe_small=0)


def test_as_of_in_the_future_is_refused(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    now = datetime(2026, 11, 25, 20, 0, tzinfo=NEW_YORK)
    with pytest.raises(SettingsError, match=r"as_of 2026-12-01 is in the future \(today is 2026-11-25"):
        settings.resolved_as_of(date(2026, 12, 1), now=now)


def test_unwritable_data_dir_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SettingsError, match=r"EEA_DATA_DIR=.*a-file/data.* is not a writable directory"):
        load_settings(data_dir=blocker / "data")


def test_default_as_of_is_the_last_settled_trading_day() -> None:
    # Thanksgiving 2026 is Thursday 26 November; Friday 27 trades.
    assert default_as_of(datetime(2026, 11, 26, 21, 0, tzinfo=NEW_YORK)) == date(2026, 11, 25)
    assert default_as_of(datetime(2026, 11, 27, 12, 0, tzinfo=NEW_YORK)) == date(2026, 11, 25)
    assert default_as_of(datetime(2026, 11, 27, 18, 30, tzinfo=NEW_YORK)) == date(2026, 11, 27)


def test_a_weekend_as_of_rolls_back_to_friday(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.resolved_as_of(date(2025, 3, 9)) == date(2025, 3, 7)


def test_cli_reports_bad_settings_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "EEA_DATA_DIR": str(tmp_path), "EEA_SOURCE_OPTIONS": "nope", "EEA_UNIVERSE_LARGE": "0"}
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "run"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert (
        "EEA_UNIVERSE_LARGE" in proc.stderr and "EEA_SOURCE_OPTIONS: 'nope' is not a provider of options" in proc.stderr
    )
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_lake_url_must_be_s3_and_keys_come_in_pairs(monkeypatch) -> None:
    from config.settings import SettingsError, load_settings

    assert load_settings(lake_url="s3://bucket/lake/").lake_url == "s3://bucket/lake"
    assert load_settings(lake_url="s3://bucket").lake_url == "s3://bucket"
    assert load_settings().lake_url is None
    with pytest.raises(SettingsError, match="EEA_LAKE_URL: must be an s3://bucket/prefix URL"):
        load_settings(lake_url="/mnt/lake")
    with pytest.raises(SettingsError, match="EEA_LAKE_URL: must be an s3://bucket/prefix URL"):
        load_settings(lake_url="s3:///prefix")
    monkeypatch.setenv("EEA_S3_ACCESS_KEY_ID", "AKIAEXAMPLE")
    with pytest.raises(SettingsError, match="EEA_S3_ACCESS_KEY_ID and EEA_S3_SECRET_ACCESS_KEY go together"):
        load_settings(lake_url="s3://bucket/lake")
    with pytest.raises(SettingsError, match="must start with http:// or https://"):
        load_settings(s3_endpoint_url="localhost:9000", s3_secret_access_key="x")
