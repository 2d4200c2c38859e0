"""What a flow run shares with the flows and tasks it calls: settings, the open warehouse run, the sources, and timings."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from config.settings import Settings, load_settings
from sources.base import Source
from sources.registry import build_source
from warehouse.lake import Lake, LocalLake, S3Lake
from warehouse.store import WarehouseRun


@dataclass
class RunContext:
    """The state of one publishing run, visible to every flow and task inside it."""

    settings: Settings
    run: WarehouseRun
    as_of: date
    kind: str
    sources: dict[str, Source] = field(default_factory=dict)
    landed: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    missing: dict[str, dict[str, str]] = field(default_factory=dict)
    quarantined: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    validation: list[dict[str, Any]] = field(default_factory=list)
    # Results computed once per run and shared by the marts built from them (the model run).
    cache: dict[str, Any] = field(default_factory=dict)

    def source(self, dataset: str) -> Source:
        name = self.settings.source_for(dataset)
        if name not in self.sources:
            self.sources[name] = build_source(name, self.settings, secrets=resolve_secrets(self.settings, name))
        return self.sources[name]

    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - start


# Which secret each provider needs: (settings field with the value, settings field naming a Prefect Secret block).
SECRETS: dict[str, tuple[str, str, str]] = {
    "fred": ("fred_api_key", "fred_api_key", "fred_api_key_block"),
    "fmp": ("fmp_api_key", "fmp_api_key", "fmp_api_key_block"),
}


def resolve_secrets(settings: Settings, provider: str) -> dict[str, str]:
    """The provider's secrets, read now (never at import): from the environment, else a Prefect Secret block."""
    if provider not in SECRETS:
        return {}
    name, env_field, block_field = SECRETS[provider]
    value = getattr(settings, env_field)
    if value is not None:
        return {name: value.get_secret_value()}
    block = getattr(settings, block_field)
    if block:
        from prefect.blocks.system import Secret

        secret: Any = Secret.load(block)  # sync context: a block, not a coroutine
        return {name: str(secret.get())}
    return {}


def lake_for(settings: Settings) -> Lake:
    """Where the settings put the lake: EEA_LAKE_URL on object storage, or under EEA_DATA_DIR."""
    if settings.lake_url is None:
        return LocalLake(settings.data_dir)
    key, secret = settings.s3_access_key_id, settings.s3_secret_access_key
    return S3Lake(
        settings.lake_url,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=key.get_secret_value() if key else None,
        secret_access_key=secret.get_secret_value() if secret else None,
    )


_CURRENT: ContextVar[RunContext | None] = ContextVar("eea_run", default=None)


def current() -> RunContext:
    """The run this code executes in; an error outside of one."""
    ctx = _CURRENT.get()
    if ctx is None:
        raise RuntimeError("no warehouse run is open: call this inside a flow started with run_scope()")
    return ctx


@contextlib.contextmanager
def run_scope(kind: str, as_of: date | None = None, **overrides: Any) -> Iterator[tuple[RunContext, bool]]:
    """Join the run already open (inside nightly), or open one that this flow owns and must publish.

    Yields (context, owner). Settings are read and validated here, at the
    start of the outermost flow, so a bad setting stops the run before any work.
    """
    ctx = _CURRENT.get()
    if ctx is not None:
        yield ctx, False
        return
    settings = load_settings(**overrides)
    day = settings.resolved_as_of(as_of)
    run = WarehouseRun(
        settings.data_dir, kind=kind, as_of=day, lock_timeout=settings.lock_timeout_seconds, lake=lake_for(settings)
    )
    with run:
        ctx = RunContext(settings=settings, run=run, as_of=day, kind=kind)
        token = _CURRENT.set(ctx)
        try:
            yield ctx, True
        finally:
            _CURRENT.reset(token)
