-- Raw layer: one table per dataset, exactly as a source delivers it.
-- Each table is the contract a connector in sources/ must meet: these columns,
-- these types. Rows land in the Parquet lake (lake/raw/<dataset>/<part>=<date>/),
-- one file set per batch; the catalog exposes the current files as views.
-- Every row carries batch_id, source and loaded_at. The `-- partition:` line
-- names the date column that partitions the dataset in the lake. The
-- `-- arrival:` line says how its rows arrive, which the gate's row-count check
-- follows: `dense` (about the same rows every day: a day far smaller than the
-- last good batch means the source broke) or `sparse` (event-driven: filings,
-- calls and estimate revisions come when they come, so one 10-K on a quiet day
-- is as legitimate as thousands of facts in earnings season).

-- partition: as_of
-- arrival: dense
CREATE TABLE raw.constituents (
    index_name   VARCHAR   NOT NULL,  -- 'russell_2000' (small caps) or 'large_cap' (the large-cap universe)
    as_of        DATE      NOT NULL,  -- snapshot date of the holdings file
    ticker       VARCHAR   NOT NULL,
    name         VARCHAR,
    sector       VARCHAR,             -- the index provider's sector (GICS-style name)
    asset_class  VARCHAR,             -- 'Equity' for members; cash, futures etc. never reach raw
    weight       DOUBLE,              -- percent of the index, 0-100
    shares_held  DOUBLE,              -- shares the fund holds
    market_value DOUBLE,              -- USD
    price        DOUBLE,              -- USD, as in the holdings file
    cik          BIGINT,              -- SEC central index key, null where unknown
    exchange     VARCHAR,
    batch_id     VARCHAR   NOT NULL,
    source       VARCHAR   NOT NULL,
    loaded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (index_name, as_of, ticker)
);

-- partition: date
-- arrival: dense
CREATE TABLE raw.prices (
    ticker      VARCHAR   NOT NULL,
    date        DATE      NOT NULL,   -- trading day (XNYS)
    open        DOUBLE,
    high        DOUBLE,
    low         DOUBLE,
    close       DOUBLE    NOT NULL,   -- USD per share, on the basis named in `adjusted`
    volume      DOUBLE,               -- shares; fractional where a provider adjusted it
    dividend    DOUBLE    NOT NULL,   -- cash dividend per share going ex on this date, 0 if none
    split_ratio DOUBLE    NOT NULL,   -- new shares per old share effective this date (4:1 -> 4.0), 1 if none
    adjusted    VARCHAR   NOT NULL,   -- what OHLC already include: 'none' (as traded), 'split', 'split_dividend'
    basis_date  DATE,                 -- the day through which the provider applied `adjusted` (its download day); null for 'none'
    batch_id    VARCHAR   NOT NULL,
    source      VARCHAR   NOT NULL,
    loaded_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, date)
);

-- partition: as_of
-- arrival: dense
CREATE TABLE raw.companies (
    cik             BIGINT    NOT NULL,
    as_of           DATE      NOT NULL,  -- date the reference data was read
    ticker          VARCHAR   NOT NULL,
    name            VARCHAR,
    sic             INTEGER,             -- SEC standard industrial classification
    sic_description VARCHAR,
    fiscal_year_end VARCHAR,             -- 'MMDD', as SEC submissions give it
    exchange        VARCHAR,
    batch_id        VARCHAR   NOT NULL,
    source          VARCHAR   NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (cik, as_of)
);

-- partition: filed
-- arrival: sparse
CREATE TABLE raw.shares_outstanding (
    cik        BIGINT    NOT NULL,
    ticker     VARCHAR,
    period_end DATE      NOT NULL,  -- date the count refers to (cover page date)
    filed      DATE      NOT NULL,  -- usable from this date on
    shares     DOUBLE    NOT NULL,  -- dei:EntityCommonStockSharesOutstanding
    form       VARCHAR,
    accession  VARCHAR,
    batch_id   VARCHAR   NOT NULL,
    source     VARCHAR   NOT NULL,
    loaded_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (cik, period_end, filed)
);

-- partition: filed
-- arrival: sparse
CREATE TABLE raw.fundamentals (
    cik            BIGINT    NOT NULL,
    ticker         VARCHAR,
    taxonomy       VARCHAR   NOT NULL,  -- 'us-gaap', 'dei', 'ifrs-full'
    concept        VARCHAR   NOT NULL,  -- e.g. 'Assets', 'OperatingIncomeLoss'
    unit           VARCHAR   NOT NULL,  -- e.g. 'USD', 'shares', 'USD/shares'
    period_start   DATE,                -- null for an instant (balance-sheet) fact
    period_end     DATE      NOT NULL,
    value          DOUBLE    NOT NULL,
    fiscal_year    INTEGER,             -- fy of the filing
    fiscal_period  VARCHAR,             -- 'FY', 'Q1', 'Q2', 'Q3'
    form           VARCHAR,             -- '10-K', '10-Q', '10-K/A', ...
    filed          DATE      NOT NULL,  -- usable from this date on
    accession      VARCHAR,
    frame          VARCHAR,
    batch_id       VARCHAR   NOT NULL,
    source         VARCHAR   NOT NULL,
    loaded_at      TIMESTAMP NOT NULL,
    -- UNIQUE, not PRIMARY KEY: an instant fact has no period_start, and a key
    -- column of a primary key may not be null.
    UNIQUE (cik, taxonomy, concept, unit, period_start, period_end, filed)
);

-- partition: as_of
-- arrival: sparse
CREATE TABLE raw.estimates (
    ticker       VARCHAR   NOT NULL,
    fiscal_year  INTEGER   NOT NULL,
    as_of        DATE      NOT NULL,  -- date the consensus was read
    revenue      DOUBLE,              -- USD, consensus mean
    earnings     DOUBLE,              -- USD net income, consensus mean
    eps          DOUBLE,              -- USD per share, consensus mean
    analysts     INTEGER,             -- number of estimates in the consensus
    batch_id     VARCHAR   NOT NULL,
    source       VARCHAR   NOT NULL,
    loaded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, fiscal_year, as_of)
);

-- partition: call_date
-- arrival: sparse
CREATE TABLE raw.transcripts (
    ticker         VARCHAR   NOT NULL,
    call_date      DATE      NOT NULL,
    fiscal_year    INTEGER,
    fiscal_quarter INTEGER,
    title          VARCHAR,
    layout         VARCHAR   NOT NULL,  -- 'speaker_blocks', 'json_sections', 'json_turns', 'blob'
    text           VARCHAR   NOT NULL,  -- the whole call, speaker turns kept
    batch_id       VARCHAR   NOT NULL,
    source         VARCHAR   NOT NULL,
    loaded_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, call_date)
);

-- partition: trade_date
-- arrival: dense
CREATE TABLE raw.options (
    underlying       VARCHAR   NOT NULL,
    trade_date       DATE      NOT NULL,
    contract         VARCHAR   NOT NULL,  -- OCC symbol, e.g. IWM261218P00200000
    expiry           DATE      NOT NULL,
    option_type      VARCHAR   NOT NULL,  -- 'C' or 'P'
    strike           DOUBLE    NOT NULL,
    volume           DOUBLE,
    open_interest    DOUBLE,
    bid              DOUBLE,
    ask              DOUBLE,
    last             DOUBLE,
    iv               DOUBLE,              -- implied volatility, annualised, as a fraction
    delta            DOUBLE,
    underlying_price DOUBLE,
    batch_id         VARCHAR   NOT NULL,
    source           VARCHAR   NOT NULL,
    loaded_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (underlying, trade_date, contract)
);

-- partition: date
-- arrival: dense
CREATE TABLE raw.rates (
    series    VARCHAR   NOT NULL,  -- FRED series id, e.g. 'DGS10'
    date      DATE      NOT NULL,
    value     DOUBLE,              -- percent; null where the source has no value that day
    batch_id  VARCHAR   NOT NULL,
    source    VARCHAR   NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (series, date)
);
