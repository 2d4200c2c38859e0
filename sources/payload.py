"""Shared first steps of every payload parser: decode text or JSON, refuse an HTML page, read ISO days, the contract schema."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import pyarrow as pa

from sources.base import SourceError


def contract(dataset: str) -> pa.Schema:
    """The raw contract of a dataset without the stamp columns (warehouse/schema/raw.sql)."""
    from warehouse.ddl import raw_dataset

    return raw_dataset(dataset).arrow_schema(without_stamps=True)


def decode_text(payload: bytes, *, provider: str, origin: str, expected: str) -> str:
    """UTF-8 text (a BOM dropped); SourceError for other bytes, or for an HTML page where `expected` was wanted."""
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{provider}: {origin}: payload is not UTF-8 text ({exc})") from exc
    head = text.lstrip()[:15].lower()
    if head.startswith(("<!doctype html", "<html")):
        raise SourceError(f"{provider}: {origin}: got an HTML page instead of {expected}")
    return text


def decode_json_object(
    payload: bytes | bytearray | str | Mapping[str, Any], *, provider: str, origin: str
) -> Mapping[str, Any]:
    """A JSON object from bytes, text or an already-decoded mapping; SourceError naming what came instead."""
    if isinstance(payload, Mapping):
        return payload
    try:
        text = payload.decode("utf-8-sig") if isinstance(payload, bytes | bytearray) else payload
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        # Throttled or blocked clients get an HTML page, not JSON: show how the body starts.
        head = bytes(payload[:80]) if isinstance(payload, bytes | bytearray) else payload[:80]
        raise SourceError(f"{provider}: {origin}: payload is not JSON (starts {head!r}): {exc}") from exc
    if not isinstance(doc, Mapping):
        raise SourceError(f"{provider}: {origin}: payload is JSON but not an object (a {type(doc).__name__})")
    return doc


def iso_day(text: str) -> date:
    """A YYYY-MM-DD day; ValueError naming the text otherwise (fromisoformat alone would take '20240105' too)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"date {text!r}")


def finite_number(text: str, label: str) -> float | None:
    """A number from a text field; None when empty; ValueError naming the field for text, NaN or infinity."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    # float() accepts 'nan' and 'inf'; neither is a price or a yield.
    if not math.isfinite(value):
        raise ValueError(f"{label} {text!r}")
    return value
