"""Sentiment lexicons: a Loughran-McDonald master-dictionary CSV (either column layout) or the shipped default, as a Lexicon."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

# Category names, in the order of the score columns (SIGNALS.md).
CATEGORIES: tuple[str, ...] = (
    "positive",
    "negative",
    "uncertainty",
    "litigious",
    "constraining",
    "strong_modal",
    "weak_modal",
)

DEFAULT_CSV = Path(__file__).with_name("lexicon_default.csv")
DEFAULT_NAME = "eea_default"
LM_NAME = "loughran_mcdonald"

# Year-valued flag columns shared by both master-dictionary layouts.
_YEAR_COLUMNS = ("positive", "negative", "uncertainty", "litigious", "constraining")
# The older layout's single Modal column: 1 strong, 2 moderate (counted in neither), 3 weak.
_OLD_MODAL = {1: "strong_modal", 3: "weak_modal"}


def _upper_set(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError("a lexicon word set must be a collection of words, not one str")
    return frozenset(str(v).upper() for v in values)


@dataclass(frozen=True, repr=False)
class Lexicon:
    """A named, versioned word list: the master words and, per category, the upper-case words flagged in it.

    Word sets are stored upper-cased as frozensets (any iterable of str is accepted and converted). A category
    word that is not also in `words` is never counted by the scorer, as in the master dictionary.
    """

    name: str
    version: str
    words: frozenset[str]
    positive: frozenset[str] = frozenset()
    negative: frozenset[str] = frozenset()
    uncertainty: frozenset[str] = frozenset()
    litigious: frozenset[str] = frozenset()
    constraining: frozenset[str] = frozenset()
    strong_modal: frozenset[str] = frozenset()
    weak_modal: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Normalise here so a hand-built lexicon in a notebook (lower case, a list) scores like a loaded one.
        for f in fields(self):
            if f.name not in ("name", "version"):
                object.__setattr__(self, f.name, _upper_set(getattr(self, f.name)))

    def __repr__(self) -> str:
        # The default repr would print 86,000 words; sizes are what a reader wants.
        sizes = ", ".join(f"{c}={len(getattr(self, c))}" for c in ("words", *CATEGORIES))
        return f"Lexicon(name={self.name!r}, version={self.version!r}, {sizes})"


def _normalise_header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace("_", " ").split())


def _flag(value: str, path: Path, line: int, column: str) -> int:
    value = value.strip()
    if value in ("", "0"):
        return 0
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{path}: line {line}, column {column!r}: flag {value!r} is not a number") from None
    if number != int(number):
        raise ValueError(f"{path}: line {line}, column {column!r}: flag {value!r} is not a whole number")
    return int(number)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older dictionary exports are Windows-1252; a word that is not plain A-Z never matches a token anyway.
        return raw.decode("cp1252", errors="replace")


def load_lexicon(path: str | Path, name: str | None = None, version: str | None = None) -> Lexicon:
    """Read a Loughran-McDonald master-dictionary CSV (current or older layout) into a Lexicon.

    Header names are matched case-insensitively (spaces, hyphens and underscores alike); a BOM and leading
    `#` comment lines are tolerated. Category flags are year-valued: a positive year counts, 0 or a negative
    year (removed that year) does not. In the older layout the single `Modal` column holds 1 strong, 2 moderate
    (counted in neither) and 3 weak. The name defaults to 'loughran_mcdonald'; the version to
    '<latest year flagged>-<first 12 hex digits of the file's sha256>'.
    """
    return _load(Path(path), name, version, lf_digest=False)


def _load(path: Path, name: str | None, version: str | None, lf_digest: bool) -> Lexicon:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw.replace(b"\r\n", b"\n") if lf_digest else raw).hexdigest()[:12]
    lines = _decode(raw).splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        start += 1
    reader = csv.reader(lines[start:])
    header = next(reader, None)
    if header is None:
        raise ValueError(f"{path} is not a Loughran-McDonald master dictionary: the file has no header row")
    position = {_normalise_header(h): i for i, h in reversed(list(enumerate(header)))}

    current = "strong_modal" in position and "weak_modal" in position
    older = "modal" in position
    required = ["word", *_YEAR_COLUMNS]
    missing = [c for c in required if c not in position]
    if not current and not older:
        missing.append("modal (older layout) or strong_modal and weak_modal (current layout)")
    if missing:
        raise ValueError(
            f"{path} is not a Loughran-McDonald master dictionary: missing column(s) {', '.join(missing)} "
            f"(header read: {', '.join(h.strip() for h in header)})"
        )

    year_columns = list(_YEAR_COLUMNS) + (["strong_modal", "weak_modal"] if current else [])
    year_index = [(c, position[c]) for c in year_columns]
    modal_index = None if current else position["modal"]
    word_index = position["word"]
    width = max(position.values()) + 1

    words: set[str] = set()
    flagged: dict[str, set[str]] = {c: set() for c in CATEGORIES}
    latest = 0
    for offset, row in enumerate(reader):
        line = start + 2 + offset
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise ValueError(f"{path}: line {line} has {len(row)} fields, the header needs at least {width}")
        word = row[word_index].strip().upper()
        if not word:
            continue
        words.add(word)
        for column, i in year_index:
            year = _flag(row[i], path, line, header[i])
            if year > 0:
                flagged[column].add(word)
                latest = max(latest, year)
        if modal_index is not None:
            modal = _OLD_MODAL.get(_flag(row[modal_index], path, line, header[modal_index]))
            if modal is not None:
                flagged[modal].add(word)

    return Lexicon(
        name=LM_NAME if name is None else name,
        version=version if version is not None else (f"{latest}-{digest}" if latest else f"sha256-{digest}"),
        words=frozenset(words),
        positive=frozenset(flagged["positive"]),
        negative=frozenset(flagged["negative"]),
        uncertainty=frozenset(flagged["uncertainty"]),
        litigious=frozenset(flagged["litigious"]),
        constraining=frozenset(flagged["constraining"]),
        strong_modal=frozenset(flagged["strong_modal"]),
        weak_modal=frozenset(flagged["weak_modal"]),
    )


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped default lexicon 'eea_default' (sources/lexicon_default.csv, written for this project).

    An original, small finance-tone word list in the current master-dictionary layout, under the same licence as
    this project; it is not derived from the Loughran-McDonald lists. Its version follows the file's content.
    """
    # Hashed with LF line endings so that a CRLF checkout does not look like a new lexicon (and force a re-score).
    return _load(DEFAULT_CSV, DEFAULT_NAME, None, lf_digest=True)
