"""call_sentiment on a hand-written call: sections, the operator left out, counts from the lexicon."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sources.lexicon import Lexicon
from transforms.call_sentiment import COLUMNS, call_sentiment

LEXICON = Lexicon(
    name="tiny",
    version="1",
    words=frozenset({"STRONG", "WEAK", "DEMAND", "QUARTER", "GROWTH", "MARGINS"}),
    positive=frozenset({"STRONG"}),
    negative=frozenset({"WEAK"}),
    uncertainty=frozenset(),
    litigious=frozenset(),
    constraining=frozenset(),
    strong_modal=frozenset(),
    weak_modal=frozenset(),
)

TEXT = """ACME Corp (ACME) Q1 2024 Earnings Call

Operator -- Operator
Welcome. Strong strong strong words from the operator do not count.

Jane Roe -- Chief Executive Officer
Demand was strong this quarter and growth was strong.

Operator -- Operator
We will now begin the question-and-answer session. First question please.

Sam Lee -- Analyst, Big Bank Securities
Margins look weak to me. Why?

Jane Roe -- Chief Executive Officer
Margins are not weak; demand is strong.
"""


def test_sections_of_one_call_are_scored_without_the_operator() -> None:
    calls = pd.DataFrame(
        [{"ticker": "ACME", "call_date": date(2024, 4, 20), "layout": "speaker_blocks", "text": TEXT, "batch_id": "b1"}]
    )
    out = call_sentiment(calls, LEXICON)
    assert list(out.columns) == COLUMNS
    rows = out.set_index("section")
    # whole call without the operator: STRONG x3 (CEO twice, once in the answer), WEAK x2
    assert (rows.loc["call", "positive"], rows.loc["call", "negative"]) == (3, 2)
    assert rows.loc["call", "net_tone"] == (3 - 2) / (3 + 2)
    assert (rows.loc["prepared", "positive"], rows.loc["prepared", "negative"]) == (2, 0)
    assert (rows.loc["qa_analyst", "negative"], rows.loc["qa_executive", "positive"]) == (1, 1)
    assert set(out["lexicon"]) == {"tiny"} and set(out["batch_id"]) == {"b1"}
    assert not out["no_speakers"].any()
