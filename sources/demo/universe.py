"""Companies of the demo market: identity, industry, size, lifetime and economics, fixed by seed and sizes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from sources.demo import rng as streams

# The market opens on this session; every draw is keyed from it, never from a request.
ORIGIN = date(2010, 1, 4)
# IPOs are drawn for every year up to this one, so the company list never depends on how far
# the trading calendar reaches today.
LAST_IPO_YEAR = 2035
NEVER = np.datetime64("2200-01-01", "D")

# Groups a company starts in; the index membership itself is decided by market cap.
LARGE, SMALL, MICRO, IPO = 0, 1, 2, 3

SECTORS: tuple[str, ...] = (
    "Information Technology",
    "Health Care",
    "Financials",
    "Industrials",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Materials",
    "Real Estate",
    "Communication Services",
    "Utilities",
)

# Per sector: weight among small caps, among large caps, mean Uniform ROA, median revenue/assets,
# share of companies with R&D, R&D/revenue range, dividend payer share (small, large),
# NASDAQ share (small, large), share with a fiscal year not ending in December, and a multiplier of
# idiosyncratic volatility (biotech and tech swing most, utilities least; the volatile ones are the
# small caps that grow into large caps or fail).
_SECTOR_PARAMS: dict[str, tuple[float, ...]] = {
    "Information Technology": (0.13, 0.24, 0.060, 0.75, 0.90, 0.05, 0.20, 0.12, 0.45, 0.80, 0.55, 0.30, 1.20),
    "Health Care": (0.16, 0.12, 0.055, 0.65, 0.85, 0.05, 0.20, 0.08, 0.55, 0.80, 0.30, 0.20, 1.30),
    "Financials": (0.17, 0.13, 0.050, 0.40, 0.00, 0.00, 0.00, 0.70, 0.85, 0.70, 0.20, 0.05, 0.80),
    "Industrials": (0.19, 0.08, 0.060, 1.00, 0.30, 0.01, 0.04, 0.40, 0.80, 0.35, 0.15, 0.20, 0.90),
    "Consumer Discretionary": (0.10, 0.10, 0.060, 1.30, 0.10, 0.01, 0.03, 0.30, 0.60, 0.45, 0.35, 0.30, 1.05),
    "Consumer Staples": (0.03, 0.06, 0.060, 1.30, 0.15, 0.01, 0.02, 0.50, 0.85, 0.35, 0.20, 0.25, 0.80),
    "Energy": (0.05, 0.04, 0.050, 0.60, 0.00, 0.00, 0.00, 0.35, 0.80, 0.30, 0.10, 0.05, 1.20),
    "Materials": (0.05, 0.03, 0.055, 0.90, 0.40, 0.01, 0.03, 0.50, 0.80, 0.25, 0.10, 0.20, 1.00),
    "Real Estate": (0.07, 0.03, 0.050, 0.40, 0.00, 0.00, 0.00, 0.85, 0.95, 0.25, 0.20, 0.02, 0.80),
    "Communication Services": (0.03, 0.09, 0.055, 0.70, 0.30, 0.02, 0.08, 0.25, 0.50, 0.50, 0.50, 0.15, 1.00),
    "Utilities": (0.03, 0.03, 0.050, 0.40, 0.00, 0.00, 0.00, 0.85, 0.95, 0.20, 0.10, 0.05, 0.65),
}

# SEC SIC codes: sic | EDGAR description | GICS-style sector | relative weight within the sector
# among small caps | among large caps | words for generated company names. Weights put
# about 15% of small caps (9% of large) in tariff-exposed industries (auto parts, transport,
# capital goods, components) and a visible share in shipbuilding, infrastructure, defense
# components, industrial tech and specialty materials.
_SIC_ROWS = """
7372|SERVICES-PREPACKAGED SOFTWARE|Information Technology|0.28|0.34|Software,Systems,Cloud
7370|SERVICES-COMPUTER PROGRAMMING, DATA PROCESSING, ETC.|Information Technology|0.10|0.14|Data,Digital,Information Services
3674|SEMICONDUCTORS & RELATED DEVICES|Information Technology|0.12|0.20|Semiconductor,Microsystems,Silicon
3672|PRINTED CIRCUIT BOARDS|Information Technology|0.09|0.03|Circuits,Electronics
3678|ELECTRONIC CONNECTORS|Information Technology|0.06|0.04|Connectivity,Interconnect
3679|ELECTRONIC COMPONENTS, NEC|Information Technology|0.09|0.03|Electronics,Components
3829|MEASURING & CONTROLLING DEVICES, NEC|Information Technology|0.10|0.06|Instruments,Sensors,Measurement
3823|INDUSTRIAL INSTRUMENTS FOR MEASUREMENT, DISPLAY, AND CONTROL|Information Technology|0.07|0.04|Controls,Automation
3576|COMPUTER COMMUNICATIONS EQUIPMENT|Information Technology|0.09|0.12|Networks,Communications
2834|PHARMACEUTICAL PREPARATIONS|Health Care|0.30|0.38|Pharmaceuticals,Therapeutics,Pharma
2836|BIOLOGICAL PRODUCTS, (NO DIAGNOSTIC SUBSTANCES)|Health Care|0.18|0.12|Biosciences,Biotherapeutics,Bio
3841|SURGICAL & MEDICAL INSTRUMENTS & APPARATUS|Health Care|0.15|0.15|Medical,Surgical
3845|ELECTROMEDICAL & ELECTROTHERAPEUTIC APPARATUS|Health Care|0.08|0.06|Medical Systems,Devices
8000|SERVICES-HEALTH SERVICES|Health Care|0.08|0.08|Health,Healthcare
8071|SERVICES-MEDICAL LABORATORIES|Health Care|0.06|0.05|Diagnostics,Laboratories
8062|SERVICES-HOSPITALS|Health Care|0.05|0.06|Hospitals,Health Systems
5122|WHOLESALE-DRUGS PROPRIETARIES & DRUGGISTS' SUNDRIES|Health Care|0.04|0.05|Pharmacy Services,Drug Distribution
3826|LABORATORY ANALYTICAL INSTRUMENTS|Health Care|0.06|0.05|Scientific,Analytical
6022|STATE COMMERCIAL BANKS|Financials|0.40|0.15|Bancorp,Bancshares,Bank
6021|NATIONAL COMMERCIAL BANKS|Financials|0.15|0.30|Bancorp,Financial,National Bank
6035|SAVINGS INSTITUTION, FEDERALLY CHARTERED|Financials|0.08|0.01|Savings,Federal Savings
6036|SAVINGS INSTITUTIONS, NOT FEDERALLY CHARTERED|Financials|0.05|0.01|Savings Bank,Bancorp
6331|FIRE, MARINE & CASUALTY INSURANCE|Financials|0.10|0.18|Insurance,Casualty
6311|LIFE INSURANCE|Financials|0.05|0.08|Life,Life Insurance
6199|FINANCE SERVICES|Financials|0.09|0.12|Financial,Credit,Capital
6211|SECURITY BROKERS, DEALERS & FLOTATION COMPANIES|Financials|0.05|0.10|Securities,Capital Markets
6282|INVESTMENT ADVICE|Financials|0.03|0.05|Asset Management,Advisors
4213|TRUCKING (NO LOCAL)|Industrials|0.13|0.06|Freight,Transport,Logistics
4400|WATER TRANSPORTATION|Industrials|0.05|0.03|Marine,Shipping,Maritime
4512|AIR TRANSPORTATION, SCHEDULED|Industrials|0.03|0.04|Airlines,Air
4011|RAILROADS, LINE-HAUL OPERATING|Industrials|0.02|0.05|Railroad,Rail
3530|CONSTRUCTION, MINING & MATERIALS HANDLING MACHINERY & EQUIP|Industrials|0.06|0.06|Equipment,Machinery
3560|GENERAL INDUSTRIAL MACHINERY & EQUIPMENT|Industrials|0.16|0.06|Industries,Machinery,Industrial
3590|MISC INDUSTRIAL & COMMERCIAL MACHINERY & EQUIPMENT|Industrials|0.06|0.04|Manufacturing,Industries
3620|ELECTRICAL INDUSTRIAL APPARATUS|Industrials|0.06|0.06|Electric,Power Systems
3731|SHIP & BOAT BUILDING & REPAIRING|Industrials|0.05|0.02|Shipbuilding,Marine Industries
1600|HEAVY CONSTRUCTION OTHER THAN BLDG CONST - CONTRACTORS|Industrials|0.08|0.04|Construction,Infrastructure,Contractors
1623|WATER, SEWER, PIPELINE, COMM & POWER LINE CONSTRUCTION|Industrials|0.06|0.03|Utility Services,Infrastructure
3812|SEARCH, DETECTION, NAVIGATION, GUIDANCE, AERONAUTICAL SYS|Industrials|0.07|0.22|Defense Systems,Navigation,Technologies
3728|AIRCRAFT PARTS & AUXILIARY EQUIPMENT, NEC|Industrials|0.05|0.06|Aerospace,Aero Components
8711|SERVICES-ENGINEERING SERVICES|Industrials|0.05|0.08|Engineering,Consulting
7380|SERVICES-MISCELLANEOUS BUSINESS SERVICES|Industrials|0.06|0.12|Services,Solutions
7363|SERVICES-HELP SUPPLY SERVICES|Industrials|0.04|0.03|Staffing,Workforce Solutions
5080|WHOLESALE-MACHINERY, EQUIPMENT & SUPPLIES|Industrials|0.04|0.03|Supply,Distribution
3714|MOTOR VEHICLE PARTS & ACCESSORIES|Consumer Discretionary|0.25|0.10|Automotive,Auto Parts,Motor Components
5812|RETAIL-EATING PLACES|Consumer Discretionary|0.15|0.15|Restaurants,Kitchen,Grill
5651|RETAIL-FAMILY CLOTHING STORES|Consumer Discretionary|0.10|0.10|Outfitters,Apparel
7011|HOTELS & MOTELS|Consumer Discretionary|0.07|0.12|Hotels,Hospitality,Resorts
1531|OPERATIVE BUILDERS|Consumer Discretionary|0.10|0.10|Homes,Homebuilders,Communities
5531|RETAIL-AUTO & HOME SUPPLY STORES|Consumer Discretionary|0.05|0.08|Auto Supply,Parts Stores
3949|SPORTING & ATHLETIC GOODS, NEC|Consumer Discretionary|0.07|0.05|Sports,Outdoors
7990|SERVICES-MISCELLANEOUS AMUSEMENT & RECREATION|Consumer Discretionary|0.07|0.08|Entertainment,Leisure
5961|RETAIL-CATALOG & MAIL-ORDER HOUSES|Consumer Discretionary|0.09|0.18|Direct,Commerce
2510|HOUSEHOLD FURNITURE|Consumer Discretionary|0.10|0.04|Furniture,Home Furnishings
2000|FOOD AND KINDRED PRODUCTS|Consumer Staples|0.30|0.35|Foods,Food
2011|MEAT PACKING PLANTS|Consumer Staples|0.10|0.08|Meats,Protein
2080|BEVERAGES|Consumer Staples|0.15|0.20|Beverage,Brewing
5411|RETAIL-GROCERY STORES|Consumer Staples|0.20|0.15|Markets,Grocers
2844|PERFUMES, COSMETICS & OTHER TOILET PREPARATIONS|Consumer Staples|0.15|0.15|Beauty,Personal Care
5141|WHOLESALE-GROCERIES & RELATED PRODUCTS|Consumer Staples|0.10|0.07|Foodservice,Food Distribution
1311|CRUDE PETROLEUM & NATURAL GAS|Energy|0.50|0.45|Energy,Petroleum,Resources
1381|DRILLING OIL & GAS WELLS|Energy|0.15|0.05|Drilling
1389|OIL & GAS FIELD SERVICES, NEC|Energy|0.20|0.15|Oilfield Services,Energy Services
2911|PETROLEUM REFINING|Energy|0.10|0.20|Refining
4922|NATURAL GAS TRANSMISSION|Energy|0.05|0.15|Midstream,Pipeline
2821|PLASTIC MATERIALS, SYNTH RESINS & NONVULCAN ELASTOMERS|Materials|0.20|0.15|Polymers,Resins,Advanced Materials
2860|INDUSTRIAL ORGANIC CHEMICALS|Materials|0.12|0.20|Chemicals,Chemical
2890|MISCELLANEOUS CHEMICAL PRODUCTS|Materials|0.12|0.15|Specialty Chemicals,Coatings
3290|ABRASIVE, ASBESTOS & MISC NONMETALLIC MINERAL PRODS|Materials|0.08|0.05|Ceramics,Minerals
3312|STEEL WORKS, BLAST FURNACES & ROLLING MILLS (COKE OVENS)|Materials|0.14|0.15|Steel
3350|ROLLING DRAWING & EXTRUDING OF NONFERROUS METALS|Materials|0.10|0.05|Aluminum,Metals
1000|METAL MINING|Materials|0.14|0.15|Mining,Gold,Resources
2670|CONVERTED PAPER & PAPERBOARD PRODS (NO CONTAINERS/BOXES)|Materials|0.10|0.10|Packaging,Paper
6798|REAL ESTATE INVESTMENT TRUSTS|Real Estate|0.85|0.90|Realty Trust,Properties,REIT
6500|REAL ESTATE|Real Estate|0.15|0.10|Real Estate,Land
4813|TELEPHONE COMMUNICATIONS (NO RADIOTELEPHONE)|Communication Services|0.30|0.30|Telecom,Communications
4841|CABLE & OTHER PAY TELEVISION SERVICES|Communication Services|0.15|0.25|Cable,Broadband
7812|SERVICES-MOTION PICTURE & VIDEO TAPE PRODUCTION|Communication Services|0.15|0.20|Studios,Pictures
2711|NEWSPAPERS: PUBLISHING OR PUBLISHING & PRINTING|Communication Services|0.15|0.05|Media,Publishing
4899|COMMUNICATIONS SERVICES, NEC|Communication Services|0.25|0.20|Wireless,Networks
4911|ELECTRIC SERVICES|Utilities|0.45|0.55|Electric,Power
4923|NATURAL GAS TRANSMISSION & DISTRIBUTION|Utilities|0.20|0.15|Gas,Energy Delivery
4941|WATER SUPPLY|Utilities|0.20|0.10|Water
4931|ELECTRIC & OTHER SERVICES COMBINED|Utilities|0.15|0.20|Energy,Utilities
"""
SIC_TABLE: tuple[tuple[int, str, str, float, float, tuple[str, ...]], ...] = tuple(
    (int(sic), description, sector, float(small), float(large), tuple(words.split(",")))
    for sic, description, sector, small, large, words in (row.split("|") for row in _SIC_ROWS.strip().splitlines())
)

_PREFIXES = tuple(
    name.strip()
    for name in """
Alder, Amber, Anchor, Arbor, Argent, Ascent, Aspen, Avalon, Beacon, Bedrock, Birch, Blue Ridge,
Boulder, Bridgeport, Brightwater, Cadence, Canyon, Capstone, Cardinal, Cascade, Cedar, Centennial,
Channel, Clearwater, Coastal, Cobalt, Compass, Copper, Cornerstone, Crescent, Crestline, Cypress,
Driftwood, Eastgate, Echo, Elm, Emerald, Evergreen, Fairview, Falcon, Fernwood, Flagstone, Foxhall,
Frontier, Gateway, Glacier, Granite, Graystone, High Plains, Greenfield, Harbor, Hawthorne, Heritage,
Highland, Hollow Creek, Ironwood, Juniper, Keystone, Kingsley, Lakeshore, Landmark, Laurel,
Lighthouse, Linden, Lodestar, Magnolia, Mariner, Meadowbrook, Meridian, Mesa, Midland, Monarch,
Mosaic, Northstar, Northwind, Oakmont, Orchard, Palisade, Paragon, Pathway, Pinnacle, Pioneer,
Prairie, Quarry, Radiant, Redwood, Ridgeline, Riverbend, Rockport, Sagebrush, Sequoia, Sierra,
Silverline, Skyline, Stonebridge, Sunrise, Tidewater, Timberline, Topaz, Trident, Upland, Vantage,
Verity, Westfield, Whitestone, Willow, Windward, Wolverine, Yellowstone, Zephyr, Allegheny, Bayview,
Blackhawk, Bluewater, Briar, Chesapeake, Cimarron, Clarion, Concord, Coral, Dakota, Everett,
Fieldstone, Forge, Gilded, Hamilton, Hartwell, Huron, Kestrel, Lakeview, Lexington, Marlow, Mohawk,
Newport, Oakridge, Osprey, Piedmont, Quantum, Raven, Rushmore, Saratoga, Shoreline, Solano, Stratton,
Summitview, Tahoe, Tamarack, Trailhead, Vista, Wabash
""".replace("\n", " ").split(",")
)
_SECOND = ("Bay", "Creek", "Falls", "Hill", "Point", "Ridge", "River", "Rock", "Valley", "Park", "Lake", "Peak")
_FORMS = ("Inc", "Corp", "Holdings Inc", "Co", "Group Inc", "Inc", "Corp", "Inc")
FIRST_NAMES = tuple(
    name.strip()
    for name in """
James, Mary, Robert, Patricia, John, Jennifer, Michael, Linda, David, Elizabeth, William, Barbara,
Richard, Susan, Joseph, Jessica, Thomas, Sarah, Charles, Karen, Christopher, Lisa, Daniel, Nancy,
Matthew, Sandra, Anthony, Ashley, Mark, Emily, Steven, Donna, Andrew, Michelle, Paul, Carol, Joshua,
Amanda, Kevin, Melissa, Brian, Deborah, George, Stephanie, Timothy, Rebecca, Ronald, Laura, Jason,
Helen, Ryan, Anna, Gary, Maria, Eric, Julie, Peter, Grace, Raj, Wei
""".replace("\n", " ").split(",")
)
LAST_NAMES = tuple(
    name.strip()
    for name in """
Smith, Johnson, Williams, Brown, Jones, Garcia, Miller, Davis, Rodriguez, Martinez, Hernandez, Lopez,
Gonzalez, Wilson, Anderson, Thomas, Taylor, Moore, Jackson, Martin, Lee, Perez, Thompson, White,
Harris, Sanchez, Clark, Ramirez, Lewis, Robinson, Walker, Young, Allen, King, Wright, Scott, Torres,
Nguyen, Hill, Flores, Green, Adams, Nelson, Baker, Hall, Rivera, Campbell, Mitchell, Carter, Roberts,
Patel, Chen, Kim, Murphy, Cook, Rogers, Morgan, Cooper, Peterson, Reed, Bailey, Bell, Gomez, Kelly,
Howard, Ward, Cox, Diaz, Richardson, Wood, Watson, Brooks, Bennett, Gray, James, Reyes, Hughes,
Price, Myers, Long, Foster, Sanders, Ross, Morales, Powell, Sullivan, Russell, Ortiz, Jenkins,
Gutierrez, Perry, Butler, Barnes, Fisher, Henderson, Coleman, Simmons, Patterson, Jordan, Reynolds
""".replace("\n", " ").split(",")
)
# Fictional brokers: the analysts' employers in transcripts.
BANKS = (
    "Harborline",
    "Summit Ridge",
    "Northgate",
    "Lakeside",
    "Bluestone",
    "Keel & Mast",
    "Crowley Hart",
    "Pennington",
    "Westbrook",
    "Ironbridge",
    "Calder",
    "Mercer Lane",
)


@dataclass(frozen=True)
class Universe:
    """Every company of one demo market, column arrays indexed by company (listing order)."""

    seed: int
    n_small: int
    n_large: int
    n_initial: int
    group: np.ndarray
    list_date: np.ndarray
    delist_date: np.ndarray
    delist_kind: np.ndarray
    ticker: np.ndarray
    name: np.ndarray
    cik: np.ndarray
    sector: np.ndarray
    sic_row: np.ndarray
    fye_month: np.ndarray
    nasdaq: np.ndarray
    mcap0: np.ndarray
    price0: np.ndarray
    beta: np.ndarray
    size_loading: np.ndarray
    idio_vol: np.ndarray
    div_yield: np.ndarray
    div_month: np.ndarray
    div_day: np.ndarray
    split_threshold: np.ndarray
    acq_premium: np.ndarray
    acq_lead: np.ndarray
    fail_lead: np.ndarray
    fail_target: np.ndarray
    ipo_pop: np.ndarray
    issuance: np.ndarray
    turnover: np.ndarray
    roa_mean: np.ndarray
    rd_share: np.ndarray
    tax_rate: np.ndarray
    debt_ratio: np.ndarray
    cash_ratio: np.ndarray
    ap_ratio: np.ndarray
    accrued_ratio: np.ndarray
    other_liab_ratio: np.ndarray
    ev_multiple: np.ndarray
    asset_growth: np.ndarray
    credit_spread: np.ndarray
    revenue_concept: np.ndarray
    coverage: np.ndarray
    uncovered: np.ndarray
    ceo: np.ndarray
    cfo: np.ndarray

    @property
    def size(self) -> int:
        """Number of companies ever listed up to LAST_IPO_YEAR."""
        return len(self.group)


def _ipo_dates(seed: int, n_initial: int) -> np.ndarray:
    # Per-year counts keyed by year, so companies listed by a year never depend on later years.
    rate = 0.042 * n_initial
    out = []
    for year in range(ORIGIN.year, LAST_IPO_YEAR + 1):
        g = streams.generator(seed, streams.IPOS, year)
        k = int(g.poisson(rate * (0.92 if year == ORIGIN.year else 1.0)))
        first = np.datetime64(f"{year}-02-01" if year == ORIGIN.year else f"{year}-01-05", "D")
        span = int((np.datetime64(f"{year}-12-20", "D") - first).astype(np.int64))
        out.append(np.sort(first + g.integers(0, span, size=k)))
    return np.concatenate(out).astype("datetime64[D]")


def _ticker_candidates(words: list[str], g: np.random.Generator) -> list[str]:
    letters = [w for w in ("".join(ch for ch in w.upper() if ch.isalpha()) for w in words) if w]
    a = letters[0]
    b = letters[1] if len(letters) > 1 else a[1:] or a
    c = letters[2] if len(letters) > 2 else b[1:] or b
    initials = "".join(w[0] for w in letters)
    pool = [
        a[:4],
        a[:3] + b[0],
        a[0] + b[:3],
        a[:2] + b[:2],
        initials,
        a[:3],
        a[:2] + b[0],
        a[0] + b[0] + c[0],
        a[:2] + b[0] + c[0],
        a[:5],
        a[:3] + b[:2],
        a[:2],
        a[0] + b[0],
    ]
    length = int(g.choice([2, 3, 4, 5], p=[0.03, 0.40, 0.52, 0.05]))
    pool = [p for p in pool if 2 <= len(p) <= 5]
    first = [p for p in pool if len(p) == length]
    return first + [p for p in pool if len(p) != length]


def demo_ticker(seed: int, company: int, stem: str) -> str:
    """A demo company's ticker: its letter stem (from the name, 2-5 letters) and one digit 2-9, e.g. 'PION4'.

    Listed US equity symbols are letters only (a share class after '.' or '-'), so a symbol with a digit can never
    be one: a screenshot of the demo cannot pass for a real company. Stems are unique, so stem + digit is too; the
    digit is a pure function of (seed, company), and 0 and 1 are left out so they are not read as O and I.
    """
    u = streams.hashed_uniform(seed, streams.TICKERS, company)
    return f"{stem}{2 + int(u * 8)}"


def _person(g: np.random.Generator) -> str:
    return f"{FIRST_NAMES[int(g.integers(len(FIRST_NAMES)))]} {LAST_NAMES[int(g.integers(len(LAST_NAMES)))]}"


def _identities(seed: int, sic_row: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    g = streams.generator(seed, streams.NAMES)
    names, tickers, ceos, cfos = [], [], [], []
    used_names: set[str] = set()
    used_stems: set[str] = set()
    for i in range(size):
        suffix_words = SIC_TABLE[int(sic_row[i])][5]
        suffix = suffix_words[int(g.integers(len(suffix_words)))]
        while True:
            prefix = _PREFIXES[int(g.integers(len(_PREFIXES)))]
            if g.random() < 0.25:
                prefix = f"{prefix} {_SECOND[int(g.integers(len(_SECOND)))]}"
            form = _FORMS[int(g.integers(len(_FORMS)))]
            bare = suffix.endswith(("Trust", "Bancorp", "Bancshares", "REIT"))
            name = f"{prefix} {suffix}" if bare else f"{prefix} {suffix} {form}"
            if name not in used_names:
                break
        used_names.add(name)
        stem = next((t for t in _ticker_candidates(prefix.split() + suffix.split(), g) if t not in used_stems), "")
        while not stem or stem in used_stems:
            stem = "".join(chr(65 + int(x)) for x in g.integers(0, 26, size=int(g.integers(3, 5))))
        used_stems.add(stem)
        names.append(name)
        tickers.append(demo_ticker(seed, i, stem))
        ceos.append(_person(g))
        cfos.append(_person(g))
    return (
        np.array(names, dtype=object),
        np.array(tickers, dtype=object),
        np.array(ceos, dtype=object),
        np.array(cfos, dtype=object),
    )


@lru_cache(maxsize=4)
def build_universe(seed: int, n_small: int, n_large: int) -> Universe:
    """All companies for (seed, n_small, n_large): initial large, small and micro caps, then IPOs by listing date."""
    n_micro = round(0.15 * n_small)
    n_initial = n_large + n_small + n_micro
    ipo_dates = _ipo_dates(seed, n_initial)
    n = n_initial + len(ipo_dates)
    g = streams.generator(seed, streams.ATTRIBUTES)

    group = np.concatenate(
        [
            np.full(n_large, LARGE),
            np.full(n_small, SMALL),
            np.full(n_micro, MICRO),
            np.full(len(ipo_dates), IPO),
        ]
    ).astype(np.int8)
    origin = np.datetime64(ORIGIN, "D")
    list_date = np.concatenate([np.full(n_initial, origin), ipo_dates]).astype("datetime64[D]")
    years_in = (list_date - origin).astype(np.float64) / 365.25

    # Industry: sector by group weights, then SIC within sector.
    params = np.array([_SECTOR_PARAMS[s] for s in SECTORS])
    is_large = group == LARGE
    # IPOs lean to technology and health care, as US listings do.
    ipo_tilt = np.array([{"Information Technology": 1.7, "Health Care": 1.3}.get(s, 0.85) for s in SECTORS])
    sector_p = np.select(
        [is_large[:, None], (group == IPO)[:, None]], [params[:, 1], params[:, 0] * ipo_tilt], params[:, 0]
    )
    sector_p = sector_p / sector_p.sum(axis=1, keepdims=True)
    u = g.random(n)
    sector = (u[:, None] > np.cumsum(sector_p, axis=1)).sum(axis=1).clip(0, len(SECTORS) - 1).astype(np.int8)
    sic_sector = np.array([SECTORS.index(r[2]) for r in SIC_TABLE])
    sic_w = np.array([[r[3], r[4]] for r in SIC_TABLE])
    u = g.random(n)
    sic_row = np.empty(n, dtype=np.int16)
    for s in range(len(SECTORS)):
        rows = np.flatnonzero(sic_sector == s)
        for large in (False, True):
            pick = (sector == s) & (is_large == large)
            w = sic_w[rows, int(large)]
            cdf = np.cumsum(w / w.sum())
            sic_row[pick] = rows[np.searchsorted(cdf, u[pick], side="right").clip(0, len(rows) - 1)]
    p = params[sector]
    # Keep the average volatility where it was before the sector multipliers.
    p[:, 12] = p[:, 12] / np.average(params[:, 12], weights=params[:, 0])

    # Size at listing: market cap and price; IPO sizes grow with the market.
    z = g.standard_normal((4, n))
    mcap0 = np.select(
        [group == LARGE, group == SMALL, group == MICRO],
        [
            np.exp(np.log(14e9) + 0.8 * z[0]).clip(3e9, 4e11),
            np.exp(np.log(0.75e9) + 0.7 * z[0]).clip(1.5e8, 4e9),
            np.exp(np.log(1.3e8) + 0.5 * z[0]).clip(3e7, 3.5e8),
        ],
        np.exp(np.log(0.7e9) + 0.06 * years_in + 0.8 * z[0]).clip(1e8, 2e10),
    )
    price0 = np.select(
        [group == LARGE, group == SMALL, group == MICRO],
        [
            np.exp(np.log(55) + 0.6 * z[1]).clip(12, 400),
            np.exp(np.log(20) + 0.6 * z[1]).clip(2.5, 120),
            np.exp(np.log(6) + 0.8 * z[1]).clip(0.6, 40),
        ],
        np.round(10 + 15 * g.random(n)),
    )
    log_cap = np.log(mcap0)
    size_loading = ((np.log(4e10) - log_cap) / np.log(4e10 / 5e8)).clip(0.0, 1.25)
    beta = (0.85 + 0.3 * size_loading + 0.2 * z[2]).clip(0.3, 2.0)
    idio_vol = (0.006 + 0.0165 * size_loading) * np.exp(0.25 * z[3]).clip(0.5, 2.0) * p[:, 12]

    # Lifetime: delisting hazard about 4% a year, lower for large caps, higher for micro caps.
    hazard = np.select([group == LARGE, group == MICRO], [0.02, 0.065], 0.042)
    life_days = np.maximum(120.0, g.exponential(365.25 / hazard))
    delist_date = list_date + life_days.astype(np.int64)
    delist_date = np.where(delist_date > NEVER, NEVER, delist_date).astype("datetime64[D]")
    fail_p = np.select([group == LARGE, group == MICRO], [0.1, 0.6], 0.4)
    delist_kind = np.where(g.random(n) < fail_p, 2, 1).astype(np.int8)
    acq_premium = 0.15 + 0.35 * g.random(n)
    acq_lead = g.integers(40, 120, size=n)
    fail_lead = g.integers(250, 500, size=n)
    fail_target = np.exp(np.log(0.02) + np.log(20.0) * g.random(n))
    ipo_pop = 0.08 + 0.2 * g.standard_normal(n)

    # Corporate actions.
    payer = g.random(n) < np.where(is_large, p[:, 8], p[:, 7])
    div_yield = np.where(payer, 0.01 + 0.03 * g.random(n), 0.0)
    div_month = g.integers(1, 4, size=n)
    div_day = g.integers(1, 29, size=n)
    split_threshold = np.where(is_large, 400.0, 180.0) * np.exp(0.35 * g.standard_normal(n))
    issuance = np.where(is_large, -0.01, np.where(group == IPO, 0.03, 0.015)) + 0.01 * g.standard_normal(n)

    # Fiscal year end and listing venue.
    non_dec = g.random(n) < p[:, 11] * 1.2
    fye_month = np.where(non_dec, g.choice([3, 6, 9], size=n), 12).astype(np.int8)
    nasdaq = g.random(n) < np.where(is_large, p[:, 10], p[:, 9])

    # Economics: see sources.demo.fundamentals for how these drive the accounts.
    turnover = (p[:, 3] * np.exp(0.25 * g.standard_normal(n))).clip(0.35, 1.6)
    roa_mean = p[:, 2] + 0.012 * g.standard_normal(n)
    has_rd = g.random(n) < p[:, 4]
    rd_share = np.where(has_rd, p[:, 5] + (p[:, 6] - p[:, 5]) * g.random(n) ** 1.6, 0.0)
    # Uniform ROA adds R&D back: research-heavy companies earn more on it than operating income shows.
    roa_mean = roa_mean + 0.6 * rd_share * turnover * 0.77
    tax_rate = 0.21 + 0.04 * g.random(n)
    debt_ratio = (0.5 * g.beta(1.6, 2.6, size=n)).clip(0.0, 0.5)
    cash_ratio = 0.03 + 0.17 * g.beta(1.3, 2.5, size=n)
    ap_ratio = 0.03 + 0.07 * g.random(n)
    accrued_ratio = 0.02 + 0.06 * g.random(n)
    other_liab_ratio = 0.05 + 0.10 * g.random(n)
    ev_multiple = np.exp(np.log(0.62) + 0.3 * g.standard_normal(n)).clip(0.2, 2.5)
    asset_growth = 0.05 + 0.015 * g.standard_normal(n)
    credit_spread = 0.01 + 0.03 * g.random(n)
    revenue_concept = np.searchsorted([0.70, 0.95], g.random(n), side="right").astype(np.int8)
    coverage = g.standard_normal(n)
    uncovered = g.random(n) < 0.10

    cik = np.empty(n, dtype=np.int64)
    cik[:n_initial] = g.choice(np.arange(700_000, 1_450_000), size=n_initial, replace=False)
    cik[n_initial:] = np.sort(g.choice(np.arange(1_450_000, 2_150_000), size=n - n_initial, replace=False))
    name, ticker, ceo, cfo = _identities(seed, sic_row, n)

    return Universe(
        seed=seed,
        n_small=n_small,
        n_large=n_large,
        n_initial=n_initial,
        group=group,
        list_date=list_date,
        delist_date=delist_date,
        delist_kind=delist_kind,
        ticker=ticker,
        name=name,
        cik=cik,
        sector=sector,
        sic_row=sic_row,
        fye_month=fye_month,
        nasdaq=nasdaq,
        mcap0=mcap0,
        price0=price0,
        beta=beta,
        size_loading=size_loading,
        idio_vol=idio_vol,
        div_yield=div_yield,
        div_month=div_month,
        div_day=div_day,
        split_threshold=split_threshold,
        acq_premium=acq_premium,
        acq_lead=acq_lead,
        fail_lead=fail_lead,
        fail_target=fail_target,
        ipo_pop=ipo_pop,
        issuance=issuance,
        turnover=turnover,
        roa_mean=roa_mean,
        rd_share=rd_share,
        tax_rate=tax_rate,
        debt_ratio=debt_ratio,
        cash_ratio=cash_ratio,
        ap_ratio=ap_ratio,
        accrued_ratio=accrued_ratio,
        other_liab_ratio=other_liab_ratio,
        ev_multiple=ev_multiple,
        asset_growth=asset_growth,
        credit_spread=credit_spread,
        revenue_concept=revenue_concept,
        coverage=coverage,
        uncovered=uncovered,
        ceo=ceo,
        cfo=cfo,
    )
