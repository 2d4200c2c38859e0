"""risk_free: the risk-free yield by series and day up to as_of, days without a value left out."""

from __future__ import annotations

from datetime import date

import pandas as pd

COLUMNS = ["series", "date", "value"]


def risk_free(rates: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Rates (series, date, value in percent, null where missing) to the risk_free mart for days <= as_of."""
    df = rates.loc[pd.to_datetime(rates["date"]).dt.date <= as_of, COLUMNS].copy()
    df["date"] = pd.to_datetime(df["date"]).dt.date
    return df.dropna(subset=["value"]).sort_values(["series", "date"]).reset_index(drop=True)
