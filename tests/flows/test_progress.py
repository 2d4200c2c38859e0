"""Progress bars: drawn at a terminal, absent in logs and pipes."""

from __future__ import annotations

import io

from flows.progress import progress, step, wanted


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_output_is_not_a_terminal() -> None:
    out = io.StringIO()
    assert not wanted(out)
    with progress(3, "nightly", stream=out):
        step("landed prices")
    assert out.getvalue() == ""


def test_a_bar_at_a_terminal_counts_the_steps(monkeypatch) -> None:
    monkeypatch.delenv("EEA_NO_PROGRESS", raising=False)
    out = _Tty()
    assert wanted(out)
    with progress(3, "nightly", stream=out):
        step("landed prices")
        step("built daily_prices")
    text = out.getvalue()
    assert "nightly" in text and "2/3" in text and "built daily_prices" in text


def test_eea_no_progress_turns_the_bar_off(monkeypatch) -> None:
    monkeypatch.setenv("EEA_NO_PROGRESS", "1")
    assert not wanted(_Tty())
