"""Sentiment word counts: texts in, one row per text of Loughran-McDonald category counts and tone out (SIGNALS.md)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from sources.lexicon import CATEGORIES, Lexicon

COUNT_COLUMNS: list[str] = ["words", *CATEGORIES]
COLUMNS: list[str] = [*COUNT_COLUMNS, "net_tone", "tone_per_word"]
NEGATORS: tuple[str, ...] = ("NO", "NOT", "NONE", "NEITHER", "NEVER", "NOBODY")
NEGATION_WINDOW = 3

# One byte-to-byte table does the tokenizer's whole character work: a-z upper-cased, A-Z kept, anything else a space.
_TABLE = bytes(c - 32 if 97 <= c <= 122 else c if 65 <= c <= 90 else 32 for c in range(256))
# One-byte "tokens" ahead of every text, as many as the negation window, so that no look-back reaches the text
# before; \x01 never survives _TABLE, so they match no word and no negator.
_SENTINEL = b" \x01" * NEGATION_WINDOW + b" "
# Room to read a whole 8-byte lane past the last token.
_TAIL = b" " * 16
# Texts are scored in batches of about this many bytes: big enough to amortise numpy's per-call cost, small enough
# for the working arrays to stay in cache.
_BATCH_BYTES = 1 << 18
_U64 = np.uint64
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=_U64)
_MIX = _U64(0x9E3779B97F4A7C15)
_LONG = _U64(1 << 63)
_HASH_A = 0x9E3779B97F4A7C15
_HASH_B = 0xC2B2AE3D27D4EB4F
_M64 = (1 << 64) - 1


@dataclass(frozen=True, eq=False)
class _Tokens:
    """Token boundaries of a batch buffer and each token's exact 8-byte lanes and 64-bit key."""

    starts: np.ndarray  # intp, byte offset of each token
    length: np.ndarray  # intp
    lanes: list[np.ndarray]  # uint64 per lane; lane j holds letters 8j..8j+7, zero-padded
    key: np.ndarray  # uint64, see _tokens


@dataclass(frozen=True, eq=False)
class _Index:
    """A lexicon compiled for vectorised lookup: a two-choice (cuckoo) hash table over the words' keys."""

    n_lanes: int  # lanes needed for the longest word; longer tokens are never words
    max_len: int
    lanes: list[np.ndarray]  # per word, as in _Tokens
    length: np.ndarray
    flags: np.ndarray  # uint8 per word: bit b set for category CATEGORIES[b]
    table_key: np.ndarray  # uint64 per slot
    table_word: np.ndarray  # intp per slot, -1 when empty
    shift: np.uint64
    negator_keys: np.ndarray  # uint64 lane-0 keys of NEGATORS


def _buffer(parts: list[bytes], separator: bytes) -> bytes:
    """Translated texts joined into one buffer: a separator first, _TAIL last, padded to whole 8-byte words."""
    buf = separator + separator.join(parts) + _TAIL
    return buf + b" " * (-len(buf) % 8)


def _tokens(buf: bytes, n_lanes: int, max_len: int) -> _Tokens:
    """Split a _buffer into tokens with their lanes and keys.

    A token's key is its lane 0 when it has up to 8 letters (exact: letters are never zero bytes), its lanes mixed
    with bit 63 set when it is longer (a short key never has bit 63 set, so the two kinds never meet), and 0 (which
    no word has) when it is longer than `max_len`.
    """
    raw = np.frombuffer(buf, dtype=np.uint8)
    letter = raw != 32
    edges = np.flatnonzero(letter[1:] != letter[:-1]) + 1
    starts = np.ascontiguousarray(edges[0::2])
    length = edges[1::2] - starts
    # Aligned 8-byte words; a token's lane is stitched from the two words around it (a shift by 64 gives 0).
    words = np.frombuffer(buf, dtype="<u8", count=len(buf) // 8)
    lanes: list[np.ndarray] = []
    key = np.empty(0, dtype=_U64)
    subset = np.flatnonzero(length > 8)
    for j in range(n_lanes):
        if j > 1:
            subset = subset[length[subset] > 8 * j]
        at = starts if j == 0 else starts[subset] + 8 * j
        left = ((at & 7) << 3).astype(_U64)
        lane = (words[at >> 3] >> left) | (words[(at >> 3) + 1] << (_U64(64) - left))
        lane &= _LOW_BYTES[np.minimum(length if j == 0 else length[subset] - 8 * j, 8)]
        if j == 0:
            lanes.append(lane)
            key = lane.copy()
            key[subset] |= _LONG
        else:
            full = np.zeros(len(starts), dtype=_U64)
            full[subset] = lane
            lanes.append(full)
            key[subset] = (key[subset] * _MIX + lane) | _LONG
    key[length > max_len] = 0
    return _Tokens(starts=starts, length=length, lanes=lanes, key=key)


def _slots(key: np.ndarray, shift: np.uint64) -> tuple[np.ndarray, np.ndarray]:
    first = ((key * _U64(_HASH_A)) >> shift).astype(np.intp)
    second = (((key ^ (key >> _U64(31))) * _U64(_HASH_B)) >> shift).astype(np.intp)
    return first, second


def _cuckoo(keys: list[int], bits: int) -> tuple[list[int], list[int]] | None:
    """Place each key in one of its two slots (evicting as needed); None when a table of 2**bits cannot hold them."""
    size, shift = 1 << bits, 64 - bits
    table_key, table_word = [0] * size, [-1] * size
    for word, key in enumerate(keys):
        slot = ((key * _HASH_A) & _M64) >> shift
        for _ in range(500):
            if table_word[slot] == -1:
                table_key[slot], table_word[slot] = key, word
                break
            table_key[slot], key = key, table_key[slot]
            table_word[slot], word = word, table_word[slot]
            first = ((key * _HASH_A) & _M64) >> shift
            slot = ((((key ^ (key >> 31)) * _HASH_B) & _M64) >> shift) if slot == first else first
        else:
            return None
    return table_key, table_word


@lru_cache(maxsize=8)
def _index(lexicon: Lexicon) -> _Index:
    """Compile a lexicon once (cached per lexicon): words of two letters or more made only of A-Z."""
    words = sorted(w for w in lexicon.words if len(w) >= 2 and w.isascii() and w.isalpha())
    max_len = max(map(len, words), default=0)
    n_lanes = max(1, -(-max_len // 8))
    tokens = _tokens(_buffer([w.encode("ascii") for w in words], b" "), n_lanes, max_len)
    flags = np.zeros(len(words), dtype=np.uint8)
    for bit, category in enumerate(CATEGORIES):
        members = getattr(lexicon, category)
        flags |= np.fromiter((w in members for w in words), dtype=bool, count=len(words)).astype(np.uint8) << bit
    keys = tokens.key.tolist()
    if len(set(keys)) != len(keys):
        # Distinct words of up to 8 letters have distinct keys; two long words mixing to one key is a ~2**-37 event.
        raise ValueError(f"lexicon {lexicon.name} {lexicon.version}: two words share a 64-bit key; cannot index it")
    bits = max(4, (3 * len(words)).bit_length())
    placed = _cuckoo(keys, bits)
    while placed is None:
        bits += 1
        placed = _cuckoo(keys, bits)
    table_key, table_word = placed
    negators = _tokens(_buffer([w.encode("ascii") for w in NEGATORS], b" "), 1, 8).lanes[0]
    return _Index(
        n_lanes=n_lanes,
        max_len=max_len,
        lanes=tokens.lanes,
        length=tokens.length,
        flags=flags,
        table_key=np.array(table_key, dtype=_U64),
        table_word=np.array(table_word, dtype=np.intp),
        shift=_U64(64 - bits),
        negator_keys=negators,
    )


def _count_batch(texts: list[bytes], index: _Index) -> np.ndarray:
    """Counts (len(texts) x 8, int64, COUNT_COLUMNS order) for translated texts scored together in one buffer."""
    tokens = _tokens(_buffer(texts, _SENTINEL), index.n_lanes, index.max_len)
    n_docs = len(texts)
    offsets = np.cumsum([0] + [len(_SENTINEL) + len(t) for t in texts[:-1]])
    # Each text's tokens (its sentinels first) run from bounds[i] to bounds[i + 1].
    bounds = np.r_[np.searchsorted(tokens.starts, offsets), len(tokens.starts)]

    first, second = _slots(tokens.key, index.shift)
    word_first, word_second = index.table_word[first], index.table_word[second]
    in_first = (index.table_key[first] == tokens.key) & (word_first >= 0)
    in_second = (index.table_key[second] == tokens.key) & (word_second >= 0)
    hit = np.flatnonzero(in_first | in_second)
    word = np.where(in_first, word_first, word_second)[hit]
    # Keys of up to 8 letters are the letters themselves; a longer token's key is a hash, so check it letter for letter.
    long_ = np.flatnonzero(tokens.length[hit] > 8)
    if len(long_):
        same = np.ones(len(long_), dtype=bool)
        for lane, lex_lane in zip(tokens.lanes, index.lanes, strict=True):
            same &= lane[hit[long_]] == lex_lane[word[long_]]
        if not same.all():
            keep = np.ones(len(hit), dtype=bool)
            keep[long_[~same]] = False
            hit, word = hit[keep], word[keep]

    flags = index.flags[word]
    flagged = np.flatnonzero(flags)
    flags, flagged_at = flags[flagged], hit[flagged]
    positive = np.flatnonzero(flags & 1)
    if len(positive):
        # Negators are looked for among all tokens; the sentinels keep the look-back inside the text.
        back = flagged_at[positive, None] - np.arange(1, NEGATION_WINDOW + 1)
        negated = np.isin(tokens.lanes[0][back], index.negator_keys).any(axis=1)
        flags[positive[negated]] &= np.uint8(0xFE)

    # Token positions are sorted, so a text's count is the number of positions between its bounds.
    counts = np.empty((n_docs, len(COUNT_COLUMNS)), dtype=np.int64)
    counts[:, 0] = np.diff(np.searchsorted(hit, bounds))
    for bit in range(len(CATEGORIES)):
        counts[:, bit + 1] = np.diff(np.searchsorted(flagged_at[(flags >> bit) & 1 == 1], bounds))
    return counts


def _is_null(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _translated(texts: Iterable[object]) -> list[bytes]:
    out: list[bytes] = []
    for i, text in enumerate(texts):
        if isinstance(text, str):
            # Non-ASCII characters become '?' one for one, so they split tokens as the [A-Za-z] rule says; str.upper()
            # first would be wrong (it turns 'ß' into 'SS' and joins tokens).
            out.append(text.encode("ascii", "replace").translate(_TABLE))
        elif _is_null(text):
            out.append(b"")
        else:
            raise TypeError(f"texts[{i}] is {type(text).__name__}, not str (or None/NaN)")
    return out


def score(texts: Sequence[str | None] | pd.Series, lexicon: Lexicon) -> pd.DataFrame:
    """Texts (a list or Series of str; None/NaN score zero) to one row each of word and category counts and tone.

    Columns: int64 `words, positive, negative, uncertainty, litigious, constraining, strong_modal, weak_modal`,
    float64 `net_tone` = (positive - negative) / (positive + negative) and `tone_per_word` = (positive - negative)
    / words, NaN where the denominator is zero. Rows keep the order of `texts` (and a Series' index).

    Tokens are maximal runs of A-Z/a-z, upper-cased: an apostrophe, a hyphen, a digit or any other character
    (accented letters included) ends a token. A token is a word when it has two letters or more and is in
    lexicon.words; a category counts words flagged in it. Negation: a positive word is not counted as positive when
    NO, NOT, NONE, NEITHER, NEVER or NOBODY is among the three tokens just before it in the same text. Those three
    are tokens of any kind (one-letter tokens and words outside the lexicon included, punctuation and sentence ends
    ignored), so in "not a good" GOOD is negated, and in "not at all a good" it is not (NOT is four tokens back).
    The negated word still counts in `words` and in its other categories.
    """
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a list or Series of str, not a single str")
    index = texts.index if isinstance(texts, pd.Series) else None
    values = texts.tolist() if isinstance(texts, pd.Series) else list(texts)
    translated = _translated(values)
    compiled = _index(lexicon)

    counts = np.zeros((len(translated), len(COUNT_COLUMNS)), dtype=np.int64)
    if compiled.max_len:
        begin, size = 0, 0
        for end, text in enumerate(translated, start=1):
            size += len(text) + len(_SENTINEL)
            if size >= _BATCH_BYTES or end == len(translated):
                counts[begin:end] = _count_batch(translated[begin:end], compiled)
                begin, size = end, 0

    pos, neg, words = counts[:, 1].astype(float), counts[:, 2].astype(float), counts[:, 0].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        net_tone = np.where(pos + neg > 0, (pos - neg) / (pos + neg), np.nan)
        tone_per_word = np.where(words > 0, (pos - neg) / words, np.nan)
    columns = {name: counts[:, i] for i, name in enumerate(COUNT_COLUMNS)}
    out = pd.DataFrame({**columns, "net_tone": net_tone, "tone_per_word": tone_per_word}, index=index)
    out.attrs["lexicon"] = {"name": lexicon.name, "version": lexicon.version}
    return out
