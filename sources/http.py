"""The shared HTTP layer of every connector: one GET with rate limit, bounded retries, content sniffing and redacted errors."""

from __future__ import annotations

import codecs
import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any, ClassVar, Literal

import httpx

from sources.base import SourceError

__all__ = [
    "FetchResult",
    "HttpClient",
    "ProviderError",
    "RateLimiter",
    "redact_url",
    "user_agent",
]

log = logging.getLogger("eea.sources.http")

PRODUCT = "eea-small-caps/0.1"
DEFAULT_SECRET_PARAMS: tuple[str, ...] = ("api_key", "apikey", "token", "key")
EXPECTS: frozenset[str] = frozenset({"json", "csv", "text", "bytes"})
REDACTED = "***"
_EXPECT_NAMES = {"json": "JSON", "csv": "CSV", "text": "text", "bytes": "bytes"}

Expect = Literal["json", "csv", "text", "bytes"]

# Timeouts, dropped connections and bodies cut short (RemoteProtocolError: fewer bytes than Content-Length,
# DecodingError: a compressed stream cut short) are transient; a malformed URL or a redirect loop is not.
_RETRYABLE_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
    httpx.DecodingError,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_USERINFO_PASSWORD = re.compile(r"(//[^/?#@:\s]*:)[^/?#@\s]*@")


class ProviderError(SourceError):
    """A provider could not deliver one request; `url` is redacted and no header or secret value is in the message."""

    def __init__(self, provider: str, url: str, reason: str, *, status: int | None = None, attempts: int = 1) -> None:
        self.provider = provider
        self.url = url
        self.status = status
        self.reason = reason
        self.attempts = attempts
        suffix = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"{provider}: GET {url}: {reason}{suffix}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments are lost by the default exception pickling (Prefect pickles task failures).
        return (_rebuild_provider_error, (self.provider, self.url, self.reason, self.status, self.attempts))


def _rebuild_provider_error(provider: str, url: str, reason: str, status: int | None, attempts: int) -> ProviderError:
    return ProviderError(provider, url, reason, status=status, attempts=attempts)


def redact_url(url: str | httpx.URL, secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS) -> str:
    """The URL as text with the value of every query parameter named in `secret_params` (any case) and any password replaced by ***."""
    text = _USERINFO_PASSWORD.sub(rf"\g<1>{REDACTED}@", str(url))
    names = sorted({n for n in secret_params if n}, key=len, reverse=True)
    if not names:
        return text
    pattern = re.compile(r"([?&](?:" + "|".join(re.escape(n) for n in names) + r")=)[^&#\s\"']*", re.IGNORECASE)
    return pattern.sub(rf"\g<1>{REDACTED}", text)


def user_agent(contact: str) -> str:
    """The User-Agent SEC asks for: product/version plus a contact that must contain an e-mail address (ValueError otherwise)."""
    contact = contact.strip()
    if not _EMAIL.search(contact):
        raise ValueError(f"a User-Agent contact must contain an e-mail address (name@example.com), got {contact!r}")
    if any(ord(c) < 32 or ord(c) == 127 for c in contact):
        raise ValueError("a User-Agent contact must be one line without control characters")
    return f"{PRODUCT} (contact: {contact})"


class RateLimiter:
    """A sliding-window limiter: a call may start only while fewer than `rate` calls are in flight or ended in the last second.

    Each of `floor(rate)` slots (at least one) is taken by `reserve()` and, after `release()`, stays taken for one
    window more; `acquire()` is reserve and release at once, so no window of one second ever holds more than `rate`
    starts. A token bucket is not used: with burst b it admits up to b + rate calls in one second. `HttpClient`
    releases when the response headers arrive, so the window counts from a moment after the server saw the request
    and network jitter cannot squeeze `rate` + 1 arrivals into one second at the server. For a rate below one call
    a second the window is stretched to 1/rate seconds per call. Thread-safe; monotonic clock.
    """

    _registry: ClassVar[dict[str, RateLimiter]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number of calls per second, got {rate!r}")
        self.rate = float(rate)
        self.capacity = max(1, math.floor(rate))
        # floor(rate) calls per max(1 s, capacity / rate): at most `rate` in any one-second window.
        self.window = max(1.0, self.capacity / self.rate)
        self._clock = clock
        self._sleep = sleep
        # When each recently ended call leaves the window (ascending: releases happen in clock order).
        self._expiries: deque[float] = deque()
        self._in_flight = 0
        self._ended = threading.Condition(threading.Lock())

    @classmethod
    def for_provider(cls, name: str, rate: float) -> RateLimiter:
        """The one limiter of provider `name` in this process, created on first use; ValueError if asked with another rate."""
        with cls._registry_lock:
            limiter = cls._registry.get(name)
            if limiter is None:
                limiter = cls._registry[name] = cls(rate)
            elif limiter.rate != float(rate):
                raise ValueError(f"{name}: rate limiter already set to {limiter.rate:g}/s, asked for {rate:g}/s")
            return limiter

    def acquire(self) -> None:
        """Block until a call may start, then count it as started and ended now."""
        self.reserve()
        self.release()

    def reserve(self) -> None:
        """Block until a call may start, then hold a slot for it until `release()`."""
        while True:
            with self._ended:
                now = self._clock()
                # Compared with the stored expiry (not now - end >= window), so that float rounding cannot leave
                # a waiter sleeping ever smaller remainders.
                while self._expiries and self._expiries[0] <= now:
                    self._expiries.popleft()
                if self._in_flight + len(self._expiries) < self.capacity:
                    self._in_flight += 1
                    return
                if not self._expiries:
                    # Every slot is in flight: nothing expires until one is released. The timeout only bounds a
                    # wait on a holder that never releases (a bug), it is not a schedule.
                    self._ended.wait(timeout=self.window)
                    continue
                wait = self._expiries[0] - now
            # Sleep outside the lock so other threads can re-check; the loop re-validates after waking.
            self._sleep(wait)

    def release(self) -> None:
        """End the call of one `reserve()`: its slot stays taken for one window from now."""
        with self._ended:
            if self._in_flight <= 0:
                raise RuntimeError("release() without a matching reserve()")
            self._in_flight -= 1
            self._expiries.append(self._clock() + self.window)
            self._ended.notify_all()


@dataclass(frozen=True)
class FetchResult:
    """One successful response: redacted final URL, status, raw body, and whether the body was empty (no data)."""

    url: str
    status: int
    content: bytes
    content_type: str = ""
    empty: bool = False

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (a BOM is dropped), or as cp1252 when it is not valid UTF-8."""
        try:
            return self.content.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Older CSV exports come from Windows tools; cp1252 leaves five bytes undefined, hence replace.
            return self.content.decode("cp1252", errors="replace")

    @cached_property
    def _parsed(self) -> Any:
        if self.empty:
            raise ValueError(f"{self.url}: empty body is not JSON (check .empty first)")
        return json.loads(self.text)

    def json(self) -> Any:
        """The body parsed as JSON (parsed once; the same object on every call); ValueError on an empty or invalid body."""
        return self._parsed


class _Retry(Exception):
    """One failed attempt that may succeed if asked again."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class HttpClient:
    """A provider's HTTP client: GET below `base_url` with a shared rate limit, bounded retries and content sniffing.

    A connector builds one `HttpClient` per provider and calls `get(path, params, expect=...)`; it receives a
    `FetchResult` (bytes, redacted URL, status, `empty` flag) or a `ProviderError` naming the provider, the redacted
    URL, the status and the reason. Documented behaviour per fault:

    - HTTP 429 and 5xx, timeouts, connection errors and truncated bodies are retried (`retries` times after the
      first attempt), waiting `Retry-After` (seconds or HTTP-date, capped by `max_retry_after`) when the server sends
      it and the `backoff` list otherwise; after the last attempt a `ProviderError` says how many attempts were made.
    - Any other non-2xx status (404, 401, 403, ...) raises at once: asking again would give the same answer.
    - An HTML page where JSON, CSV or text was expected (a bot challenge or an error page served with 200) raises at
      once and is never parsed as data; so does a JSON object where CSV was expected (a provider's error message).
    - A body that is not valid JSON where JSON was expected is retried like a truncated body (a cut-off transfer
      without Content-Length looks exactly like that), then raises.
    - An empty body (0 bytes, or only a BOM and whitespace, whatever its Content-Type) is not an error: the result
      has `empty=True` and the caller treats it as "no data".

    Secrets: the values of `secret_params` in a query string (and a password in the URL) are replaced by `***` in
    every URL this module reports or logs, in httpx's own request log, and in exception texts; the headers (where an
    API key may live) are never put in a message.
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: Sequence[float] = (1, 2, 4, 8),
        max_retry_after: float = 120.0,
        rate_per_second: float | None = None,
        headers: Mapping[str, str] | None = None,
        secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not provider:
            raise ValueError("provider must be a non-empty name")
        if timeout <= 0:
            raise ValueError(f"{provider}: timeout must be positive, got {timeout!r}")
        if retries < 0:
            raise ValueError(f"{provider}: retries must be >= 0, got {retries!r}")
        if any(b < 0 for b in backoff) or max_retry_after < 0:
            raise ValueError(f"{provider}: backoff and max_retry_after must be >= 0")
        self.provider = provider
        self.base_url = base_url
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = tuple(float(b) for b in backoff)
        self.max_retry_after = float(max_retry_after)
        self.secret_params = frozenset(p.lower() for p in secret_params)
        self._sleep = sleep
        self._limiter = RateLimiter.for_provider(provider, rate_per_second) if rate_per_second is not None else None
        _guard_httpx_log(self.secret_params)
        # The limiter runs as event hooks so that each redirect hop counts as the request it is; a slot is held
        # from sending until the response headers arrive (or the attempt fails, see _attempt).
        hooks: dict[str, list[Callable[..., Any]]] = (
            {"request": [self._reserve], "response": [self._release]} if self._limiter is not None else {}
        )
        self._held = threading.local()
        self._client = httpx.Client(
            base_url=base_url,
            timeout=self.timeout,
            follow_redirects=True,
            headers=dict(headers) if headers else None,
            event_hooks=hooks,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def redact(self, url: str | httpx.URL) -> str:
        """`url` with this client's secret parameters replaced by ***."""
        return redact_url(url, self.secret_params)

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, expect: Expect = "json") -> FetchResult:
        """GET `path` (below base_url, or absolute) with `params` merged into its query; a FetchResult or ProviderError."""
        if expect not in EXPECTS:
            raise ValueError(f"expect must be one of {sorted(EXPECTS)}, got {expect!r}")
        try:
            # Merged by hand: httpx drops a query already in `path` (a pagination link) when params are given.
            target = httpx.URL(path).copy_merge_params(params) if params else httpx.URL(path)
            url = self._client.build_request("GET", target).url
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise ProviderError(self.provider, self.redact(path), f"invalid URL ({type(exc).__name__})") from None
        shown = self.redact(url)
        secrets = self._secret_values(url)
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            log.debug("%s: GET %s (attempt %d of %d)", self.provider, shown, attempt, attempts)
            try:
                return self._attempt(url, shown, secrets, expect)
            except _Retry as failure:
                if attempt == attempts:
                    raise ProviderError(
                        self.provider, shown, failure.reason, status=failure.status, attempts=attempts
                    ) from None
                delay = self._delay(attempt, failure.retry_after)
                log.warning(
                    "%s: GET %s: %s; retry %d of %d in %.1f s",
                    self.provider,
                    shown,
                    failure.reason,
                    attempt,
                    self.retries,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _attempt(self, url: httpx.URL, shown: str, secrets: tuple[str, ...], expect: Expect) -> FetchResult:
        try:
            try:
                response = self._client.get(url)
            finally:
                # A timeout or dropped connection never reaches the response hook: release its slot here.
                while getattr(self._held, "count", 0) > 0:
                    self._release()
        except _RETRYABLE_ERRORS as exc:
            if isinstance(exc, httpx.TimeoutException):
                raise _Retry(f"timed out after {self.timeout:g} s ({type(exc).__name__})") from None
            raise _Retry(f"{type(exc).__name__}: {_scrub(str(exc), secrets)}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # `from None`: httpx exception texts and reprs may carry the unredacted URL.
            raise ProviderError(self.provider, shown, f"{type(exc).__name__}: {_scrub(str(exc), secrets)}") from None

        status = response.status_code
        final = self.redact(response.url) if response.url != url else shown
        if status == 429 or 500 <= status <= 599:
            reason = f"HTTP {status} {response.reason_phrase}".rstrip()
            raise _Retry(reason, status, _retry_after(response.headers.get("retry-after")))
        if not 200 <= status <= 299:
            raise ProviderError(self.provider, final, f"HTTP {status} {response.reason_phrase}".rstrip(), status=status)

        content = response.content
        content_type = response.headers.get("content-type", "")
        result = FetchResult(final, status, content, content_type, empty=not _head(content))
        if result.empty or expect == "bytes":
            return result
        head = _head(content)[:16].lower()
        media = content_type.split(";", 1)[0].strip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or media in ("text/html", "application/xhtml+xml"):
            raise ProviderError(
                self.provider,
                final,
                f"served an HTML page where {_EXPECT_NAMES[expect]} was expected (bot check or error page?)",
                status=status,
            )
        if expect == "csv" and head.startswith(b"{"):
            raise ProviderError(
                self.provider, final, "served a JSON object where CSV was expected (an error message?)", status=status
            )
        if expect == "json":
            try:
                result.json()
            except ValueError as exc:
                raise _Retry(f"invalid JSON (truncated?): {exc}", status) from None
        return result

    def _reserve(self, request: httpx.Request) -> None:
        if self._limiter is not None:
            self._limiter.reserve()
            self._held.count = getattr(self._held, "count", 0) + 1

    def _release(self, response: httpx.Response | None = None) -> None:
        if self._limiter is not None and getattr(self._held, "count", 0) > 0:
            self._held.count -= 1
            self._limiter.release()

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        if not self.backoff:
            return 0.0
        return self.backoff[min(attempt - 1, len(self.backoff) - 1)]

    def _secret_values(self, url: httpx.URL) -> tuple[str, ...]:
        values = {v for k, v in url.params.multi_items() if k.lower() in self.secret_params and v}
        if url.password:
            values.add(url.password)
        # Longest first, so a secret that contains another is replaced whole.
        return tuple(sorted(values, key=len, reverse=True))


def _head(content: bytes) -> bytes:
    """The body without a UTF-8 BOM and surrounding whitespace (empty for an empty result)."""
    return content.removeprefix(codecs.BOM_UTF8).strip()


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# httpx logs every request's full URL at INFO ("HTTP Request: GET ...?api_key=..."); a filter on its logger
# redacts the secret parameters of every client created so far, so turning on verbose logging leaks no key.
_guarded_names: set[str] = set()
_guard_lock = threading.Lock()


class _RedactHttpxLog(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        names = frozenset(_guarded_names)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(a, names) if isinstance(a, str | httpx.URL) else a for a in record.args)
        elif isinstance(record.msg, str) and not record.args:
            record.msg = redact_url(record.msg, names)
        return True


_HTTPX_FILTER = _RedactHttpxLog()


def _guard_httpx_log(names: Iterable[str]) -> None:
    with _guard_lock:
        _guarded_names.update(names)
        httpx_log = logging.getLogger("httpx")
        if _HTTPX_FILTER not in httpx_log.filters:
            httpx_log.addFilter(_HTTPX_FILTER)
