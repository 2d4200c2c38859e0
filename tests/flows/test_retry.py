"""Which extract failures are retried: a provider's bad moment is, a bug or a bad request is not."""

from __future__ import annotations

from prefect.states import Failed

from flows.datasets import _transient
from sources.base import SourceError


def test_transient_source_errors_are_retried_and_bugs_are_not() -> None:
    assert _transient(None, None, Failed(data=SourceError("yahoo: 503 for /v8/finance/chart/IWM")))
    assert _transient(None, None, Failed(data=TimeoutError("read timed out")))
    assert _transient(None, None, Failed(data=ConnectionResetError()))
    assert not _transient(None, None, Failed(data=ValueError("window starts before the demo market")))
    assert not _transient(None, None, Failed(data=KeyError("close")))
