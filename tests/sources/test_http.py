"""HttpClient against the local test server: retries and Retry-After, give-up bound, timeouts, truncation, HTML sniffing, empty bodies, redaction, the shared rate limit."""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.client import HTTPConnection
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources.base import SourceError
from sources.http import FetchResult, HttpClient, ProviderError, RateLimiter, redact_url, user_agent
from tests.sources.httpserver import LocalServer, Reply, Seen

SECRET = "SECRET123"


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # An HTTP(S)_PROXY in the environment must not route the loopback test traffic elsewhere.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A running local server for one test."""
    with LocalServer() as running:
        yield running


class Sleeps:
    """A fake sleep that records what it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client(server: LocalServer, sleeps: Sleeps | None = None, **kwargs: object) -> HttpClient:
    """A "yahoo" client of the local server that never really sleeps between retries."""
    return HttpClient("yahoo", server.url, sleep=sleeps if sleeps is not None else Sleeps(), **kwargs)  # type: ignore[arg-type]


def windows_ok(times: list[float], rate: int, tolerance: float = 0.01) -> bool:
    """No `rate` + 1 requests within any window of one second (less a clock-granularity tolerance)."""
    times = sorted(times)
    return all(sum(1 for t in times[i:] if t - t0 < 1.0 - tolerance) <= rate for i, t0 in enumerate(times))


# --- retries ------------------------------------------------------------------------------------------------


def test_429_retry_after_seconds_then_success(server: LocalServer) -> None:
    server.route("/chart", Reply(429, b"slow down", {"Retry-After": "2"}), Reply.json({"ok": 1}))
    sleeps = Sleeps()
    with client(server, sleeps) as http:
        result = http.get("/chart")
    assert result.json() == {"ok": 1}
    assert result.status == 200 and not result.empty
    assert sleeps.calls == [2.0]
    assert len(server.requests_to("/chart")) == 2


def test_429_retry_after_http_date(server: LocalServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    server.route("/chart", Reply(429, headers={"Retry-After": when}), Reply.json([1]))
    sleeps = Sleeps()
    with client(server, sleeps) as http:
        assert http.get("/chart").json() == [1]
    # HTTP-dates have one-second resolution.
    assert len(sleeps.calls) == 1 and 3.0 < sleeps.calls[0] <= 5.0


def test_retry_after_is_capped(server: LocalServer) -> None:
    server.route("/chart", Reply(503, headers={"Retry-After": "3600"}), Reply.json([]))
    sleeps = Sleeps()
    with client(server, sleeps, max_retry_after=7.5) as http:
        assert http.get("/chart").json() == []
    assert sleeps.calls == [7.5]


def test_500_twice_then_success_uses_backoff_list(server: LocalServer) -> None:
    server.route("/q", Reply(500), Reply(502), Reply.json({"a": 1}))
    sleeps = Sleeps()
    with client(server, sleeps, backoff=(0.5, 3.0, 9.0)) as http:
        assert http.get("/q").json() == {"a": 1}
    assert sleeps.calls == [0.5, 3.0]


def test_500_every_time_gives_up_after_the_bound(server: LocalServer) -> None:
    server.route("/v8/finance/chart/IWM", Reply(503))
    sleeps = Sleeps()
    with client(server, sleeps, retries=3, backoff=(1, 2)) as http, pytest.raises(ProviderError) as caught:
        http.get("/v8/finance/chart/IWM", {"period1": 1, "api_key": SECRET})
    err = caught.value
    assert isinstance(err, SourceError)
    assert err.provider == "yahoo" and err.status == 503 and err.attempts == 4
    assert (
        str(err)
        == f"yahoo: GET {server.url}/v8/finance/chart/IWM?period1=1&api_key=***: HTTP 503 Service Unavailable after 4 attempts"
    )
    assert SECRET not in str(err) and SECRET not in err.url
    assert sleeps.calls == [1, 2, 2]  # the last back-off repeats; no sleep after the last attempt
    assert len(server.requests_to("/v8/finance/chart/IWM")) == 4


def test_404_is_not_retried(server: LocalServer) -> None:
    sleeps = Sleeps()
    with client(server, sleeps) as http, pytest.raises(ProviderError, match=r"HTTP 404 Not Found$") as caught:
        http.get("/missing", {"symbol": "ZZZZ"})
    assert caught.value.status == 404 and caught.value.attempts == 1
    assert len(server.requests) == 1 and sleeps.calls == []


def test_timeout_is_retried_then_fails(server: LocalServer) -> None:
    server.route("/slow", Reply.json({"late": True}, delay=1.0))
    sleeps = Sleeps()
    started = time.monotonic()
    with client(server, sleeps, timeout=0.2, retries=1) as http, pytest.raises(ProviderError) as caught:
        http.get("/slow")
    assert time.monotonic() - started < 1.5  # two 0.2 s timeouts, not two 1.0 s waits
    assert "timed out after 0.2 s" in str(caught.value) and "after 2 attempts" in str(caught.value)
    assert caught.value.status is None
    assert len(server.requests_to("/slow")) == 2 and sleeps.calls == [1.0]


def test_truncated_body_is_retried_then_succeeds(server: LocalServer) -> None:
    whole = b'{"rows": [1, 2, 3]}'
    server.route("/data", Reply(200, whole, {"Content-Type": "application/json"}, truncate=True), Reply(200, whole))
    sleeps = Sleeps()
    with client(server, sleeps) as http:
        assert http.get("/data").json() == {"rows": [1, 2, 3]}
    assert len(server.requests_to("/data")) == 2 and sleeps.calls == [1.0]


def test_invalid_json_is_retried_then_raised(server: LocalServer) -> None:
    server.route("/data", Reply(200, b'{"rows": [1, 2'))
    sleeps = Sleeps()
    with client(server, sleeps, retries=2) as http, pytest.raises(ProviderError, match="invalid JSON") as caught:
        http.get("/data")
    assert caught.value.attempts == 3 and len(server.requests_to("/data")) == 3


def test_connection_refused_is_retried_then_raised() -> None:
    with LocalServer() as gone:
        url = gone.url
    sleeps = Sleeps()
    with HttpClient("fred", url, retries=1, sleep=sleeps) as http, pytest.raises(ProviderError) as caught:
        http.get("/x", {"api_key": SECRET})
    assert "ConnectError" in str(caught.value) and SECRET not in str(caught.value)
    assert sleeps.calls == [1.0]


# --- content ------------------------------------------------------------------------------------------------

CHALLENGE = b"\xef\xbb\xbf\n  <!DOCTYPE html><html><body>Please enable JavaScript</body></html>"


@pytest.mark.parametrize("expect", ["json", "csv", "text"])
def test_html_body_with_200_is_an_error(server: LocalServer, expect: str) -> None:
    # Labelled as JSON: the body itself gives the page away.
    server.route("/chart", Reply(200, CHALLENGE, {"Content-Type": "application/json"}))
    with client(server) as http, pytest.raises(ProviderError) as caught:
        http.get("/chart", {"apikey": SECRET}, expect=expect)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(f"yahoo: GET {server.url}/chart?apikey=***: served an HTML page where")
    assert "(bot check or error page?)" in message and SECRET not in message
    assert len(server.requests) == 1  # not retried


def test_html_content_type_is_an_error(server: LocalServer) -> None:
    server.route("/prices.csv", Reply(200, b"<p>maintenance</p>", {"Content-Type": "text/html; charset=utf-8"}))
    with client(server) as http, pytest.raises(ProviderError, match="HTML page where CSV was expected"):
        http.get("/prices.csv", expect="csv")


def test_html_is_returned_when_bytes_are_asked_for(server: LocalServer) -> None:
    server.route("/page", Reply(200, CHALLENGE, {"Content-Type": "text/html"}))
    with client(server) as http:
        assert http.get("/page", expect="bytes").content == CHALLENGE


def test_json_error_object_where_csv_expected(server: LocalServer) -> None:
    server.route("/query", Reply.json({"Information": "rate limit reached"}))
    with client(server) as http, pytest.raises(ProviderError, match="JSON object where CSV was expected"):
        http.get("/query", expect="csv")


@pytest.mark.parametrize("body", [b"", b"  \r\n\t", b"\xef\xbb\xbf\n"])
@pytest.mark.parametrize("expect", ["json", "csv", "text", "bytes"])
def test_empty_body_is_an_empty_result(server: LocalServer, body: bytes, expect: str) -> None:
    server.route("/none", Reply(200, body, {"Content-Type": "application/json"}))
    with client(server) as http:
        result = http.get("/none", expect=expect)  # type: ignore[arg-type]
    assert result.empty and result.content == body
    with pytest.raises(ValueError, match="empty"):
        result.json()


def test_csv_and_text_decoding(server: LocalServer) -> None:
    server.route("/bom.csv", Reply(200, b"\xef\xbb\xbfticker,name\nABC,Caf\xc3\xa9\n", {"Content-Type": "text/csv"}))
    server.route("/cp1252.csv", Reply(200, b"ticker,name\nABC,Caf\xe9 \x80\n", {"Content-Type": "text/csv"}))
    with client(server) as http:
        assert http.get("/bom.csv", expect="csv").text == "ticker,name\nABC,Café\n"
        assert http.get("/cp1252.csv", expect="csv").text == "ticker,name\nABC,Café €\n"


def test_path_query_and_params_are_merged(server: LocalServer) -> None:
    server.route("/api/list", Reply.json({"page": 2}))
    with HttpClient("tiingo", server.url + "/api", sleep=Sleeps(), headers={"User-Agent": "x y@z.org"}) as http:
        result = http.get("/list?cursor=abc", {"token": SECRET})
    assert result.url == f"{server.url}/api/list?cursor=abc&token=***"
    seen = server.requests_to("/api/list")[0]
    assert seen.param("cursor") == "abc" and seen.param("token") == SECRET
    assert seen.headers["user-agent"] == "x y@z.org"


def test_redirects_are_followed_and_the_final_url_reported(server: LocalServer) -> None:
    server.route("/old", Reply(301, headers={"Location": "/new?key=" + SECRET}))
    server.route("/new", Reply.json({"moved": True}))
    with client(server) as http:
        result = http.get("/old")
    assert result.json() == {"moved": True}
    assert result.url == f"{server.url}/new?key=***"


# --- secrets ------------------------------------------------------------------------------------------------


def test_secrets_never_reach_messages_urls_or_logs(server: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.route("/obs", Reply(500), Reply.json({"observations": []}))
    server.route("/fail", Reply(502))
    server.route("/html", Reply.text("<html></html>", "text/html"))
    params = {"series_id": "DGS3MO", "api_key": SECRET}
    with HttpClient("fred", server.url, retries=1, sleep=Sleeps(), headers={"X-Api-Key": SECRET}) as http:
        ok = http.get("/obs", params)
        errors = []
        for path in ("/fail", "/html", "/absent"):
            with pytest.raises(ProviderError) as caught:
                http.get(path, params)
            errors.append(caught.value)
    assert ok.url == f"{server.url}/obs?series_id=DGS3MO&api_key=***"
    for err in errors:
        assert SECRET not in str(err) and SECRET not in err.url and SECRET not in repr(err)
        assert "api_key=***" in err.url
    logged = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    assert "api_key=***" in logged  # the requests and retries were logged, redacted
    assert SECRET not in logged
    assert any(r.levelno == logging.WARNING and r.name == "eea.sources.http" for r in caplog.records)
    assert len(server.requests_to("/obs")) == 2  # the server did get the key


@given(
    name=st.sampled_from(["api_key", "APIKEY", "token", "key"]),
    value=st.text(st.characters(codec="utf-8", exclude_characters="&#"), min_size=1, max_size=20),
)
def test_redact_url_hides_any_secret_value(name: str, value: str) -> None:
    url = httpx.URL("https://api.example.com/v1/x", params={"a": "b", name: value, "z": "1"})
    redacted = redact_url(url)
    assert redacted.endswith(f"&{name}=***&z=1")


def test_redact_url_hides_passwords() -> None:
    assert redact_url("https://user:pw@host.example/x?keyword=1") == "https://user:***@host.example/x?keyword=1"


def test_provider_error_pickles() -> None:
    err = ProviderError("sec", "https://h/x?token=***", "HTTP 503", status=503, attempts=5)
    back = pickle.loads(pickle.dumps(err))
    assert (back.provider, back.url, back.status, back.reason, back.attempts, str(back)) == (
        "sec",
        "https://h/x?token=***",
        503,
        "HTTP 503",
        5,
        str(err),
    )


# --- rate limit ---------------------------------------------------------------------------------------------


def test_rate_limit_holds_against_the_server_clock(server: LocalServer) -> None:
    server.route("/r", Reply.json({}))
    started = time.monotonic()
    with HttpClient("rate-one", server.url, rate_per_second=10) as http:
        for _ in range(25):
            http.get("/r")
    elapsed = time.monotonic() - started
    times = [s.time for s in server.requests_to("/r")]
    assert len(times) == 25
    assert windows_ok(times, 10)
    assert elapsed >= 1.4  # a sliding window of 10/s needs 2.0 s for 25 requests
    assert elapsed < 5.0


def test_clients_of_one_provider_share_the_limit(server: LocalServer) -> None:
    server.route("/s", Reply.json({}))
    first = HttpClient("rate-shared", server.url, rate_per_second=10)
    second = HttpClient("rate-shared", server.url, rate_per_second=10)
    errors: list[BaseException] = []

    def run(http: HttpClient) -> None:
        try:
            for _ in range(8):
                http.get("/s")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(http,)) for http in (first, second)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    elapsed = time.monotonic() - started
    first.close()
    second.close()
    assert not errors
    times = [s.time for s in server.requests_to("/s")]
    assert len(times) == 16
    assert windows_ok(times, 10)
    assert elapsed >= 0.95  # 16 requests at 10/s: the second window starts one second in
    assert RateLimiter.for_provider("rate-shared", 10) is RateLimiter.for_provider("rate-shared", 10)


def test_limiter_refuses_a_second_rate_for_one_provider() -> None:
    RateLimiter.for_provider("rate-conflict", 10)
    with pytest.raises(ValueError, match="already set to 10/s"):
        RateLimiter.for_provider("rate-conflict", 5)


def test_limiter_windows_with_a_fake_clock() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(2.5, clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(7):
        limiter.acquire()
        starts.append(now[0])
    # floor(2.5) = 2 starts per window; the window stays one second.
    assert starts == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0]
    slow = RateLimiter(0.5, clock=lambda: now[0], sleep=sleep)
    now[0] = 0.0
    slow.acquire()
    slow.acquire()
    assert now[0] == 2.0


def test_limiter_counts_the_window_from_release() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(1, clock=lambda: now[0], sleep=sleep)
    limiter.reserve()
    now[0] = 5.0  # a slow response: the slot is held while the request is in flight
    limiter.release()
    limiter.acquire()
    assert now[0] == 6.0
    with pytest.raises(RuntimeError, match="without a matching reserve"):
        RateLimiter(1).release()


def test_a_failed_attempt_releases_its_slot(server: LocalServer) -> None:
    server.route("/slow", Reply(200, b"{}", delay=1.0))
    http = HttpClient("rate-timeout", server.url, timeout=0.2, retries=1, rate_per_second=5, sleep=Sleeps())
    with http, pytest.raises(ProviderError, match="timed out"):
        http.get("/slow")
    assert RateLimiter.for_provider("rate-timeout", 5)._in_flight == 0


@given(st.lists(st.floats(0, 0.3), min_size=1, max_size=40), st.integers(1, 12))
def test_limiter_never_admits_more_than_rate_per_window(gaps: list[float], rate: int) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(rate, clock=lambda: now[0], sleep=sleep)
    starts = []
    for gap in gaps:
        now[0] += gap
        limiter.acquire()
        starts.append(now[0])
    assert windows_ok(starts, rate, tolerance=1e-9)


# --- user agent and construction ----------------------------------------------------------------------------


def test_user_agent_needs_an_email_address() -> None:
    assert user_agent("name@example.com") == "eea-small-caps/0.1 (contact: name@example.com)"
    assert user_agent(" Jane Doe jane.doe@fund.co.uk ") == "eea-small-caps/0.1 (contact: Jane Doe jane.doe@fund.co.uk)"
    for bad in ("", "Jane Doe", "jane@", "jane@example", "@example.com", "jane at example.com"):
        with pytest.raises(ValueError, match="e-mail"):
            user_agent(bad)
    with pytest.raises(ValueError, match="one line"):
        user_agent("a@b.com\r\nX-Injected: 1")


def test_user_agent_is_sent(server: LocalServer) -> None:
    server.route("/cgi-bin/browse-edgar", Reply.text("ok"))
    ua = user_agent("ops@example.com")
    with HttpClient("sec", server.url, headers={"User-Agent": ua}, sleep=Sleeps()) as http:
        http.get("/cgi-bin/browse-edgar", expect="text")
    assert server.requests[0].headers["user-agent"] == ua


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        HttpClient("x", "http://127.0.0.1:9", retries=-1)
    with pytest.raises(ValueError):
        HttpClient("x", "http://127.0.0.1:9", timeout=0)
    with pytest.raises(ValueError):
        RateLimiter(0)
    with HttpClient("x", "http://127.0.0.1:9") as http, pytest.raises(ValueError, match="expect"):
        http.get("/", expect="xml")  # type: ignore[arg-type]


# --- the helper server itself -------------------------------------------------------------------------------


def test_server_directory_callables_and_query_routes(server: LocalServer, tmp_path: Path) -> None:
    (tmp_path / "sec").mkdir()
    (tmp_path / "sec" / "companyfacts.json").write_text('{"cik": 1}')
    (tmp_path / "secret.txt").write_text("outside")
    server.directory("/files", tmp_path / "sec")
    server.route("/fred", Reply.json({"series": "default"}))
    server.route("/fred", Reply.json({"series": "DGS3MO"}), query={"series_id": "DGS3MO"})
    server.route("/echo", lambda seen: Reply.json({"q": seen.param("q")}))
    with client(server) as fetch:
        facts = fetch.get("/files/companyfacts.json")
        assert facts.json() == {"cik": 1} and facts.content_type == "application/json"
        assert fetch.get("/fred", {"series_id": "DGS3MO"}).json() == {"series": "DGS3MO"}
        assert fetch.get("/fred", {"series_id": "DGS10"}).json() == {"series": "default"}
        assert fetch.get("/echo", {"q": "x"}).json() == {"q": "x"}
    # httpx normalises "..", so a raw request checks that the directory never serves outside its root.
    conn = HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", "/files/../secret.txt")
        assert conn.getresponse().status == 404
    finally:
        conn.close()
    assert [s.path for s in server.requests] == [
        "/files/companyfacts.json",
        "/fred",
        "/fred",
        "/echo",
        "/files/../secret.txt",
    ]
    assert all(isinstance(s, Seen) for s in server.requests)


def test_fetch_result_json_is_parsed_once() -> None:
    result = FetchResult("u", 200, b'{"a": [1]}')
    assert result.json() is result.json()
