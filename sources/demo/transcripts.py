"""Earnings calls: one speaker-blocks transcript per company and fiscal quarter, toned by the company's state."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sources.demo import rng as streams
from sources.demo.fundamentals import economics
from sources.demo.market import Market, first_session_on_or_after, last_session_on_or_before
from sources.demo.schema import categorical, constant, table
from sources.demo.universe import BANKS, FIRST_NAMES, LAST_NAMES, ORIGIN, SECTORS

# Sentence banks. Loughran-McDonald positive, negative and uncertainty words appear only in the
# banks named for them, so the tone a scorer measures is the tone the simulation chose; the
# neutral banks avoid every word of those three lists.
POSITIVE = (
    "We delivered strong results in the {quarter}, with revenue up {pct} percent from a year ago.",
    "Our teams achieved excellent execution across every part of the business.",
    "We made real progress on our margin program, and the gains are showing up in the numbers.",
    "Demand improved through the quarter and our backlog grew again.",
    "We see attractive opportunities to grow our {segment} business over the next several years.",
    "The integration of our recent acquisition is a success and is ahead of plan.",
    "Customers continue to benefit from the improvements we made to our product line.",
    "Operating margin improved by {bps} basis points on better pricing and productivity.",
    "We are pleased with the strength of our order book.",
    "Cash generation was strong, which gives us room to invest and to return capital.",
    "Our new plant is running well, and the productivity gains are ahead of what we planned.",
    "We achieved higher bookings in {segment} than in any quarter before.",
    "Pricing actions were effective and more than offset cost inflation.",
    "Our {segment} team won several new customers, and we are excited about the pipeline.",
)
NEGATIVE = (
    "Results in the {quarter} were weak, and revenue declined {pct} percent from a year ago.",
    "Demand in {segment} remained challenging throughout the quarter.",
    "We recorded a loss on the exit of an underperforming product line.",
    "Higher input costs had an adverse effect on gross margin.",
    "Supply chain disruption delayed several customer shipments into next quarter.",
    "Volumes declined in our largest end market, and pricing was difficult.",
    "We saw weakness in orders late in the quarter.",
    "Margins were not strong enough to offset lower volumes, and that is disappointing.",
    "The operating environment was difficult, and we took steps to reduce costs.",
    "Losses in the {segment} business widened as customers delayed projects.",
    "We had to write down inventory that became obsolete.",
    "Order cancellations in {segment} were higher than we expected, and the decline hurt utilization.",
    "The quarter was not a success, and we own that.",
)
UNCERTAIN = (
    "The outlook remains uncertain, and results may vary from quarter to quarter.",
    "There is considerable uncertainty around tariffs and the timing of customer orders.",
    "We estimate that approximately {pct} percent of revenue is exposed to volatility in input prices.",
    "These factors may affect our results, and we will update our guidance as conditions evolve.",
    "Interest rates and the risk of a slowdown could weigh on demand in the coming quarters.",
    "It is possible that some projects slip into next year, depending on customer budgets.",
)
NEUTRAL = (
    "Revenue for the quarter was ${revenue} million.",
    "Gross margin was {margin} percent of revenue.",
    "We ended the quarter with ${cash} million of cash on the balance sheet.",
    "Capital expenditures were ${capex} million in the quarter.",
    "Let me turn to the segment results.",
    "Headcount at quarter end was about {headcount} people.",
    "We will share more detail at our investor day later this year.",
    "Our capital allocation priorities have not changed.",
)
QUERIES = (
    "Can you talk about demand trends in {segment}?",
    "How should we think about margins for the rest of the year?",
    "What are you hearing from customers about orders for next year?",
    "Can you update us on capital allocation priorities?",
    "How much of the growth came from pricing versus volume?",
    "Where are you on the cost program, and what is left to do?",
    "Can you walk us through the working capital moves in the quarter?",
)
ANALYST_POSITIVE = ("Congratulations on a strong quarter.", "Nice progress on margins this quarter.")
ANALYST_NEGATIVE = (
    "Tough quarter, and I want to dig into the weakness.",
    "The decline in orders stands out.",
)
ANSWER_POSITIVE = (
    "We are seeing real momentum, and customers tell us the improvement is durable.",
    "The gains are broad based, and we expect them to continue.",
    "Productivity is up, and that benefit should grow as volumes recover.",
)
ANSWER_NEGATIVE = (
    "Orders were weak, and we do not expect a quick turn.",
    "The pressure on pricing was worse than we thought, and it hurt us.",
    "Some customers delayed decisions, and that weakness carried into this quarter.",
)
ANSWER_UNCERTAIN = (
    "It is too early to say, and conditions may change.",
    "There is some uncertainty, so we are planning for a range of outcomes.",
)
ANSWER_NEUTRAL = (
    "Pricing contributed about half of the growth and volume the rest.",
    "We will give a full update on that with our next report.",
    "Most of the working capital build was inventory ahead of the busy season.",
)
SEGMENTS = {
    "Information Technology": ("software", "cloud", "semiconductor"),
    "Health Care": ("clinical", "diagnostics", "devices"),
    "Financials": ("commercial lending", "deposit", "insurance"),
    "Industrials": ("aerospace", "freight", "equipment"),
    "Consumer Discretionary": ("retail", "automotive", "restaurant"),
    "Consumer Staples": ("grocery", "beverage", "household"),
    "Energy": ("upstream", "midstream", "services"),
    "Materials": ("chemicals", "metals", "packaging"),
    "Real Estate": ("office", "industrial property", "residential"),
    "Communication Services": ("media", "broadband", "wireless"),
    "Utilities": ("regulated", "transmission", "water"),
}
_QUARTER_WORDS = ("first quarter", "second quarter", "third quarter", "fourth quarter")
_FORMS = (" Holdings Inc", " Group Inc", " Inc", " Corp", " Co", " Ltd")
_DRAWS = 96


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _short_name(name: str) -> str:
    for form in _FORMS:
        if name.endswith(form):
            return name[: -len(form)]
    return name


def _pick(bank: tuple[str, ...], u: float, used: set[str] | None = None) -> str:
    k = int(u * len(bank))
    if used is not None:
        # A speaker does not say the same sentence twice in one call while the bank has others.
        for step in range(len(bank)):
            if bank[(k + step) % len(bank)] not in used:
                k = (k + step) % len(bank)
                break
        used.add(bank[k])
    return bank[k]


def _toned(
    banks: tuple[tuple[str, ...], ...],
    u_kind: float,
    u_which: float,
    p_pos: float,
    p_unc: float,
    used: set[str],
) -> str:
    # banks: (positive, negative, uncertain); uncertainty first, then positive against negative.
    if u_kind < p_unc:
        return _pick(banks[2], u_which, used)
    positive = (u_kind - p_unc) / (1 - p_unc) < p_pos
    return _pick(banks[0] if positive else banks[1], u_which, used)


def _person(u1: float, u2: float) -> str:
    return f"{_pick(FIRST_NAMES, u1)} {_pick(LAST_NAMES, u2)}"


_REMARKS = (POSITIVE, NEGATIVE, UNCERTAIN)
_ANSWERS = (ANSWER_POSITIVE, ANSWER_NEGATIVE, ANSWER_UNCERTAIN)


def render(title: str, ctx: dict[str, str], ceo: str, cfo: str, r: np.ndarray, p_pos: float, p_unc: float) -> str:
    """One call's text (title line, blank line, speaker blocks) from 96 uniform draws and the tone odds."""
    # Draws: 0-1 how much each executive says, 2-15 the CEO's sentences, 16-31 the CFO's, 32-35 the
    # first analyst and how many follow, 36-83 the exchanges (12 each); 84-89 feed the context and tone.
    blocks = [
        "Operator -- Operator\nGood day, and welcome to the {company} {quarter} {year} earnings "
        "conference call. "
        f"All participants are in a listen-only mode. I would now like to turn the call over to {ceo}, "
        "Chief Executive Officer.",
    ]
    used: set[str] = set()
    n_ceo = 4 + int(r[0] * 4)
    ceo_lines = [_toned(_REMARKS, r[2 + 2 * k], r[3 + 2 * k], p_pos, p_unc, used) for k in range(n_ceo)]
    half = n_ceo // 2
    blocks.append(
        f"{ceo} -- Chief Executive Officer\nThank you, operator, and welcome, everyone. I will start with the "
        "highlights of the {quarter}. "
        + " ".join(ceo_lines[:half])
        + "\n"
        + " ".join(ceo_lines[half:])
        + f" I will now hand the call to {cfo}, our Chief Financial Officer."
    )
    n_cfo = 3 + int(r[1] * 3)
    cfo_lines = ["Thank you.", _pick(NEUTRAL, r[16], used), _pick(NEUTRAL, r[17], used)]
    cfo_lines += [_toned(_REMARKS, r[18 + 2 * k], r[19 + 2 * k], p_pos, p_unc, used) for k in range(n_cfo)]
    cfo_lines.append(_pick(UNCERTAIN, r[30], used) if r[31] < 2 * p_unc else _pick(NEUTRAL, r[30], used))
    blocks.append(f"{cfo} -- Chief Financial Officer\n" + " ".join(cfo_lines))
    first_analyst, first_bank = _person(r[32], r[33]), _pick(BANKS, r[34])
    blocks.append(
        "Operator -- Operator\nWe will now begin the question-and-answer session. Our first caller is "
        f"{first_analyst} with {first_bank} Securities. Please go ahead."
    )
    for k in range(2 + int(r[35] * 3)):
        s = r[36 + 12 * k : 48 + 12 * k]
        analyst = first_analyst if k == 0 else _person(s[0], s[1])
        bank = first_bank if k == 0 else _pick(BANKS, s[2])
        if s[3] < 0.5 * p_pos:
            opener = _pick(ANALYST_POSITIVE, s[4])
        elif s[3] > 1 - 0.5 * (1 - p_pos):
            opener = _pick(ANALYST_NEGATIVE, s[4])
        else:
            opener = "Thanks for taking my call."
        blocks.append(f"{analyst} -- Analyst, {bank} Securities\n{opener} {_pick(QUERIES, s[5], used)}")
        speaker, role = (ceo, "Chief Executive Officer") if s[6] < 0.6 else (cfo, "Chief Financial Officer")
        answer = [
            _toned(_ANSWERS, s[7], s[8], p_pos, p_unc, used),
            _pick(ANSWER_NEUTRAL, s[9], used),
            _toned(_ANSWERS, s[10], s[11], p_pos, p_unc, used),
        ]
        blocks.append(f"{speaker} -- {role}\n" + " ".join(answer))
    blocks.append(
        "Operator -- Operator\nThis concludes today's conference call. Thank you for participating, "
        "and you may now disconnect."
    )
    return title + "\n\n" + "\n\n".join(blocks).format(**ctx)


def transcripts(m: Market, d0: int, d1: int, cols: np.ndarray | None) -> pa.Table:
    """raw.transcripts for calls on sessions d0..d1: per listed company and fiscal quarter, 20-45 days after it ends."""
    e = economics(m)
    u = m.universe
    t_days = len(m.sessions)
    n = m.n
    q_month = ((e.years[None, :] - 1970) * 12 + (u.fye_month[:n, None].astype(np.int64) - 1))[:, :, None] - np.array(
        [9, 6, 3, 0]
    )[None, None, :]
    q_end = (q_month + 1).astype("datetime64[M]").astype("datetime64[D]") - 1
    lag = 20 + np.floor(
        26 * streams.hashed_uniform(u.seed, streams.TRANSCRIPTS, np.arange(n)[:, None, None], q_month)
    ).astype(np.int64)
    call_day = first_session_on_or_after(m.sessions, q_end + lag)
    listed = (
        (u.list_date[:n, None, None] <= q_end)
        & (m.list_day[:, None, None] <= call_day)
        & (m.delist_day[:, None, None] > call_day)
    )
    ok = (
        listed & (q_end + lag >= np.datetime64(ORIGIN, "D")) & (call_day < t_days) & (call_day >= d0) & (call_day <= d1)
    )
    if cols is not None:
        ok &= np.isin(np.arange(n), cols)[:, None, None]
    ci, ji, qi = np.nonzero(ok)
    order = np.lexsort((ci, call_day[ci, ji, qi]))
    ci, ji, qi = ci[order], ji[order], qi[order]
    days = call_day[ci, ji, qi]
    months = q_month[ci, ji, qi]
    t_qe = last_session_on_or_before(m.sessions, q_end[ci, ji, qi])

    # The company's state at the quarter end: its quarter's return, last completed year's ROA change, the mood.
    me = np.searchsorted(m.month_end, t_qe)
    t_prev = last_session_on_or_before(m.sessions, (months - 2).astype("datetime64[M]").astype("datetime64[D]") - 1)
    me_prev = np.searchsorted(m.month_end, t_prev)
    cum = m.cumlog_month_end
    now = cum[np.minimum(me, len(m.month_end) - 1), ci].astype(np.float64)
    before = np.where(t_prev >= 0, cum[np.minimum(me_prev, len(m.month_end) - 1), ci], np.nan).astype(np.float64)
    quarter_return = np.nan_to_num(now - np.where(np.isnan(before), 0.0, before))
    z_ret = np.clip(quarter_return / (np.sqrt(u.idio_vol[ci] ** 2 + 1e-4) * np.sqrt(63)), -3, 3)
    done = e.valid[ci] & (e.fye[ci] <= q_end[ci, ji, qi][:, None])
    jq = np.where(done.any(axis=1), done.shape[1] - 1 - np.argmax(done[:, ::-1], axis=1), 0)
    roa = e.values["roa"]
    droa = np.nan_to_num(roa[ci, jq] - roa[ci, np.maximum(jq - 1, 0)])
    w = np.clip(u.size_loading[ci], 0.0, 1.0)
    t_state = np.maximum(t_qe, 0)
    mood = w * m.mood_small[t_state] + (1 - w) * m.mood_large[t_state]
    r_all = np.empty((len(ci), _DRAWS))
    for month in np.unique(months):
        sel = np.flatnonzero(months == month)
        r_all[sel] = streams.generator(u.seed, streams.TRANSCRIPTS, int(month)).random((u.size, _DRAWS))[ci[sel]]
    noise = np.sqrt(-2 * np.log(r_all[:, 88])) * np.cos(2 * np.pi * r_all[:, 89])
    score = 0.45 * z_ret + 0.5 * np.clip(droa / 0.02, -3, 3) + 0.6 * mood + 0.3 * noise
    p_pos = _sigmoid(1.0 + 1.0 * score)
    p_unc = np.clip(0.1 + 0.1 * np.maximum(0.0, -score) + 0.15 * m.stress[t_state], 0.05, 0.4)

    revenue = np.nan_to_num(e.values["revenue"][ci, jq]) / 4
    fq = qi + 1
    fy = e.years[ji]
    texts, titles = [], []
    for k in range(len(ci)):
        c = int(ci[k])
        r = r_all[k]
        sector = SECTORS[int(u.sector[c])]
        ctx = {
            "company": _short_name(str(u.name[c])),
            "quarter": _QUARTER_WORDS[int(qi[k])],
            "year": str(fy[k]),
            "segment": _pick(SEGMENTS[sector], r[84]),
            "pct": str(2 + int(r[85] * 14)),
            "bps": str(20 + 10 * int(r[86] * 15)),
            "revenue": f"{revenue[k] / 1e6:,.1f}",
            "margin": f"{25 + r[87] * 30:.1f}",
            "cash": f"{revenue[k] * (0.2 + r[87]) / 1e6:,.1f}",
            "capex": f"{revenue[k] * 0.04 * (0.5 + r[86]) / 1e6:,.1f}",
            "headcount": f"{int(200 + r[85] * 9800):,}",
        }
        title = f"{u.name[c]} ({u.ticker[c]}) Q{fq[k]} {fy[k]} Earnings Call"
        texts.append(render(title, ctx, str(u.ceo[c]), str(u.cfo[c]), r, float(p_pos[k]), float(p_unc[k])))
        titles.append(title)
    return table(
        "transcripts",
        {
            "ticker": categorical(ci, u.ticker[:n]),
            "call_date": m.sessions[days],
            "fiscal_year": fy.astype(np.int32),
            "fiscal_quarter": fq.astype(np.int32),
            "title": pa.array(titles, type=pa.string()),
            "layout": constant("speaker_blocks", len(ci)),
            "text": pa.array(texts, type=pa.string()),
        },
    )
