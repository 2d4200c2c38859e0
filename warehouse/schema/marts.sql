-- Marts: the tables analysts and BI tools read (schema main, so
-- `SELECT * FROM daily_prices` just works). Each is rebuilt whole by the run
-- that publishes it, from the transform of the same name in transforms/.
-- Every table and column carries a comment: the data dictionary BI tools show.

CREATE TABLE index_membership (
    index_name  VARCHAR NOT NULL,
    ticker      VARCHAR NOT NULL,
    valid_from  DATE    NOT NULL,
    valid_to    DATE,
    weight      DOUBLE,
    sector      VARCHAR,
    name        VARCHAR,
    cik         BIGINT,
    snapshots   INTEGER NOT NULL,
    inputs_as_of DATE NOT NULL,
    PRIMARY KEY (index_name, ticker, valid_from)
);
COMMENT ON TABLE index_membership IS 'Point-in-time index membership: one row per uninterrupted spell of a ticker in an index, from the holdings snapshots dated on or before the run''s as_of. A ticker was a member on day d when valid_from <= d and (valid_to is null or d < valid_to).';
COMMENT ON COLUMN index_membership.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';
COMMENT ON COLUMN index_membership.index_name IS 'Index: russell_2000 (the small-cap index) or large_cap (the large-cap comparison universe).';
COMMENT ON COLUMN index_membership.ticker IS 'Ticker symbol as the index provider lists it, upper case.';
COMMENT ON COLUMN index_membership.valid_from IS 'First snapshot date of this spell of membership.';
COMMENT ON COLUMN index_membership.valid_to IS 'First snapshot date on which the ticker was no longer a member (exclusive end); null while it is still a member on the latest snapshot.';
COMMENT ON COLUMN index_membership.weight IS 'Weight in the index, percent (0-100), on the last snapshot of the spell.';
COMMENT ON COLUMN index_membership.sector IS 'Index provider''s sector (GICS-style), on the last snapshot of the spell.';
COMMENT ON COLUMN index_membership.name IS 'Company name on the last snapshot of the spell.';
COMMENT ON COLUMN index_membership.cik IS 'SEC central index key, where the holdings file or the reference data gives one.';
COMMENT ON COLUMN index_membership.snapshots IS 'Number of holdings snapshots in the spell.';

CREATE TABLE daily_prices (
    ticker             VARCHAR NOT NULL,
    date               DATE    NOT NULL,
    open               DOUBLE,
    high               DOUBLE,
    low                DOUBLE,
    close              DOUBLE  NOT NULL,
    volume             DOUBLE,
    dividend           DOUBLE  NOT NULL,
    split_ratio        DOUBLE  NOT NULL,
    adj_close          DOUBLE  NOT NULL,
    return_1d          DOUBLE,
    shares_outstanding DOUBLE,
    market_cap         DOUBLE,
    source             VARCHAR NOT NULL,
    price_basis        VARCHAR NOT NULL,
    basis_date         DATE,
    inputs_as_of DATE NOT NULL,
    PRIMARY KEY (ticker, date)
);
COMMENT ON TABLE daily_prices IS 'One row per ticker and trading day up to the run''s as_of: as-traded prices, split- and dividend-adjusted close, total return, and market cap from the shares outstanding known on that day.';
COMMENT ON COLUMN daily_prices.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';
COMMENT ON COLUMN daily_prices.ticker IS 'Ticker symbol, upper case.';
COMMENT ON COLUMN daily_prices.date IS 'Trading day (NYSE calendar).';
COMMENT ON COLUMN daily_prices.open IS 'Opening price, USD per share, as traded on that day (not adjusted).';
COMMENT ON COLUMN daily_prices.high IS 'Intraday high, USD per share, as traded on that day (not adjusted).';
COMMENT ON COLUMN daily_prices.low IS 'Intraday low, USD per share, as traded on that day (not adjusted).';
COMMENT ON COLUMN daily_prices.close IS 'Closing price, USD per share, as traded on that day wherever that can be proven (price_basis = ''none''); otherwise the provider''s adjusted close, as price_basis and basis_date say. Demo closes are as traded. Yahoo closes come split-adjusted through the download day and are converted back when they land, with every split known between the bar and that day; a Yahoo file whose window ends before its download day lands only with a payload of the same ticker that reaches that day. Stooq closes are split- and dividend-adjusted and Cboe history split-adjusted through the download day, with no events: only the bar on the download day''s session is as traded, unless (Cboe) as-traded rows of the ticker cover every session up to the download day. The source column says which provider a row came from.';
COMMENT ON COLUMN daily_prices.volume IS 'Shares traded that day (fractional only where the provider adjusted volume).';
COMMENT ON COLUMN daily_prices.dividend IS 'Cash dividend per share going ex on this day, USD; 0 when none.';
COMMENT ON COLUMN daily_prices.split_ratio IS 'Shares after per share before for a split effective this day (4-for-1 is 4.0, 1-for-10 reverse is 0.1); 1 when none.';
COMMENT ON COLUMN daily_prices.adj_close IS 'Close adjusted for all splits and dividends up to the run''s as_of (CRSP-style backward adjustment): equals close on the latest day. Each dividend scales earlier prices by (1 - dividend / previous close), as Yahoo and CRSP do, so adj_close ratios are total returns with the dividend reinvested at the previous close.';
COMMENT ON COLUMN daily_prices.return_1d IS 'Total return from the previous trading day''s close, as a fraction: (close + dividend) x split_ratio / previous close - 1 (CRSP''s holding-period return); null on a ticker''s first day.';
COMMENT ON COLUMN daily_prices.shares_outstanding IS 'Common shares outstanding known on this day: the latest SEC cover-page count filed on or before it, scaled by splits effective after that filing. Null before the first filing, and where the close is not proven as traded (price_basis other than ''none'').';
COMMENT ON COLUMN daily_prices.market_cap IS 'Market capitalisation, USD: close x shares_outstanding. Null where shares outstanding are unknown or the close is not proven as traded (price_basis other than ''none'').';
COMMENT ON COLUMN daily_prices.source IS 'Provider of the price bar (demo, yahoo, stooq, cboe, files).';
COMMENT ON COLUMN daily_prices.price_basis IS 'What open, high, low, close, volume and dividend still include: ''none'' when as traded; ''split'' or ''split_dividend'' when the provider adjusted them and the splits (and dividends) between the bar and basis_date cannot be proven, in which case shares_outstanding and market_cap are null.';
COMMENT ON COLUMN daily_prices.basis_date IS 'The day through which the provider adjusted this row (its download day) where price_basis is not ''none''; null for as-traded rows.';

CREATE TABLE risk_free (
    series VARCHAR NOT NULL,
    date   DATE    NOT NULL,
    value  DOUBLE  NOT NULL,
    inputs_as_of DATE NOT NULL,
    PRIMARY KEY (series, date)
);
COMMENT ON TABLE risk_free IS 'Risk-free yield by day up to the run''s as_of (10-year Treasury constant maturity); days the source has no value for are left out, never zero.';
COMMENT ON COLUMN risk_free.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';
COMMENT ON COLUMN risk_free.series IS 'FRED series id, e.g. DGS10.';
COMMENT ON COLUMN risk_free.date IS 'Observation date.';
COMMENT ON COLUMN risk_free.value IS 'Yield, percent per year (4.25 means 4.25%).';

CREATE TABLE IF NOT EXISTS pipeline_runs (
    run_id      VARCHAR   NOT NULL,
    kind        VARCHAR   NOT NULL,
    as_of       DATE      NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    state       VARCHAR   NOT NULL,
    rows        JSON,
    error       VARCHAR,
    synthetic   BOOLEAN,
    synthetic_datasets VARCHAR[],
    PRIMARY KEY (run_id)
);
COMMENT ON TABLE pipeline_runs IS 'One row per pipeline run that wrote or tried to write this warehouse: what ran, for which day, how it ended.';
COMMENT ON COLUMN pipeline_runs.run_id IS 'Run identifier (UTC start time plus a random suffix); also names the batches it landed.';
COMMENT ON COLUMN pipeline_runs.kind IS 'What ran: nightly, backfill, load, or a single dataset flow.';
COMMENT ON COLUMN pipeline_runs.as_of IS 'The day the run computed the warehouse for.';
COMMENT ON COLUMN pipeline_runs.started_at IS 'Start time, UTC.';
COMMENT ON COLUMN pipeline_runs.ended_at IS 'End time, UTC; null for a run found killed mid-way.';
COMMENT ON COLUMN pipeline_runs.state IS 'published (its results are what this file holds), failed (nothing of it was published; see error), or crashed (killed mid-way; nothing of it was published).';
COMMENT ON COLUMN pipeline_runs.rows IS 'JSON object: rows landed per raw dataset and rows per table rebuilt by the run.';
COMMENT ON COLUMN pipeline_runs.error IS 'Why the run failed: the step and the message; null when it published.';
COMMENT ON COLUMN pipeline_runs.synthetic IS 'True when the warehouse this run published holds rows from the built-in demo market (a simulated market, not real data) in any raw dataset, read from the rows'' source column at publish; false when none does; null for a run that did not publish (or was recorded before this was kept).';
COMMENT ON COLUMN pipeline_runs.synthetic_datasets IS 'The raw datasets (prices, constituents, ...) holding rows from the demo market when this run published, sorted; empty when none does; null when synthetic is null. Everything built on these datasets is simulated.';

CREATE TABLE options_activity (
    underlying VARCHAR NOT NULL,
    trade_date DATE NOT NULL,
    put_volume DOUBLE,
    call_volume DOUBLE,
    put_oi DOUBLE,
    call_oi DOUBLE,
    pc_volume_ratio DOUBLE,
    pc_oi_ratio DOUBLE,
    skew_25d DOUBLE,
    skew_days DOUBLE,
    put_iv_25d DOUBLE,
    call_iv_25d DOUBLE,
    put_volume_z DOUBLE,
    pc_volume_z DOUBLE,
    hedging_spike BOOLEAN NOT NULL,
    put_volume_0_7 DOUBLE,
    call_volume_0_7 DOUBLE,
    put_oi_0_7 DOUBLE,
    call_oi_0_7 DOUBLE,
    pc_volume_ratio_0_7 DOUBLE,
    pc_oi_ratio_0_7 DOUBLE,
    put_volume_8_30 DOUBLE,
    call_volume_8_30 DOUBLE,
    put_oi_8_30 DOUBLE,
    call_oi_8_30 DOUBLE,
    pc_volume_ratio_8_30 DOUBLE,
    pc_oi_ratio_8_30 DOUBLE,
    put_volume_31_90 DOUBLE,
    call_volume_31_90 DOUBLE,
    put_oi_31_90 DOUBLE,
    call_oi_31_90 DOUBLE,
    pc_volume_ratio_31_90 DOUBLE,
    pc_oi_ratio_31_90 DOUBLE,
    put_volume_over_90 DOUBLE,
    call_volume_over_90 DOUBLE,
    put_oi_over_90 DOUBLE,
    call_oi_over_90 DOUBLE,
    pc_volume_ratio_over_90 DOUBLE,
    pc_oi_ratio_over_90 DOUBLE,
    inputs_as_of DATE NOT NULL,
    PRIMARY KEY (underlying, trade_date)
);
COMMENT ON TABLE options_activity IS 'Options activity per underlying and trading day up to the run''s as_of, from the daily chain snapshots: put and call volume and open interest, put/call ratios in total and by days-to-expiry bucket, 25-delta skew near 30 days, and the put-volume z-score that flags hedging spikes.';
COMMENT ON COLUMN options_activity.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';
COMMENT ON COLUMN options_activity.underlying IS 'Underlying symbol of the option chain (IWM for small caps, SPY for large caps).';
COMMENT ON COLUMN options_activity.trade_date IS 'Trading day of the chain snapshot (NYSE session).';
COMMENT ON COLUMN options_activity.put_volume IS 'Contracts traded in puts that day, all expiries; null when the chain reports no volume at all.';
COMMENT ON COLUMN options_activity.call_volume IS 'Contracts traded in calls that day, all expiries.';
COMMENT ON COLUMN options_activity.put_oi IS 'Open interest in puts, contracts, all expiries.';
COMMENT ON COLUMN options_activity.call_oi IS 'Open interest in calls, contracts, all expiries.';
COMMENT ON COLUMN options_activity.pc_volume_ratio IS 'Put volume / call volume; null when call volume is zero or unknown.';
COMMENT ON COLUMN options_activity.pc_oi_ratio IS 'Put open interest / call open interest; null when call open interest is zero or unknown.';
COMMENT ON COLUMN options_activity.skew_25d IS '25-delta skew at about 30 days: implied volatility of the 25-delta put minus that of the 25-delta call, as a fraction (0.05 = 5 vol points); interpolated in delta within an expiry and linearly in days between the expiries either side of 30 days; null where not computable.';
COMMENT ON COLUMN options_activity.skew_days IS 'Days to expiry the skew refers to: 30 when interpolated between two expiries, else the days of the one expiry used.';
COMMENT ON COLUMN options_activity.put_iv_25d IS 'Implied volatility of the 25-delta put at about 30 days, annualised fraction.';
COMMENT ON COLUMN options_activity.call_iv_25d IS 'Implied volatility of the 25-delta call at about 30 days, annualised fraction.';
COMMENT ON COLUMN options_activity.put_volume_z IS 'Z-score of put volume against the previous 60 trading days of this underlying (the day itself excluded, sample standard deviation); null with fewer than 20 days of history.';
COMMENT ON COLUMN options_activity.pc_volume_z IS 'Z-score of the put/call volume ratio against the previous 60 trading days (the day itself excluded); null with fewer than 20 days of history.';
COMMENT ON COLUMN options_activity.hedging_spike IS 'True when put_volume_z >= 2: unusual buying of protection; false when the z-score is null.';
COMMENT ON COLUMN options_activity.put_volume_0_7 IS 'Put volume in expiries 0 to 7 calendar days out.';
COMMENT ON COLUMN options_activity.call_volume_0_7 IS 'Call volume in expiries 0 to 7 calendar days out.';
COMMENT ON COLUMN options_activity.put_oi_0_7 IS 'Put open interest in expiries 0 to 7 calendar days out.';
COMMENT ON COLUMN options_activity.call_oi_0_7 IS 'Call open interest in expiries 0 to 7 calendar days out.';
COMMENT ON COLUMN options_activity.pc_volume_ratio_0_7 IS 'Put/call volume ratio in expiries 0 to 7 calendar days out.';
COMMENT ON COLUMN options_activity.pc_oi_ratio_0_7 IS 'Put/call open-interest ratio in expiries 0 to 7 calendar days out.';
COMMENT ON COLUMN options_activity.put_volume_8_30 IS 'Put volume in expiries 8 to 30 calendar days out.';
COMMENT ON COLUMN options_activity.call_volume_8_30 IS 'Call volume in expiries 8 to 30 calendar days out.';
COMMENT ON COLUMN options_activity.put_oi_8_30 IS 'Put open interest in expiries 8 to 30 calendar days out.';
COMMENT ON COLUMN options_activity.call_oi_8_30 IS 'Call open interest in expiries 8 to 30 calendar days out.';
COMMENT ON COLUMN options_activity.pc_volume_ratio_8_30 IS 'Put/call volume ratio in expiries 8 to 30 calendar days out.';
COMMENT ON COLUMN options_activity.pc_oi_ratio_8_30 IS 'Put/call open-interest ratio in expiries 8 to 30 calendar days out.';
COMMENT ON COLUMN options_activity.put_volume_31_90 IS 'Put volume in expiries 31 to 90 calendar days out.';
COMMENT ON COLUMN options_activity.call_volume_31_90 IS 'Call volume in expiries 31 to 90 calendar days out.';
COMMENT ON COLUMN options_activity.put_oi_31_90 IS 'Put open interest in expiries 31 to 90 calendar days out.';
COMMENT ON COLUMN options_activity.call_oi_31_90 IS 'Call open interest in expiries 31 to 90 calendar days out.';
COMMENT ON COLUMN options_activity.pc_volume_ratio_31_90 IS 'Put/call volume ratio in expiries 31 to 90 calendar days out.';
COMMENT ON COLUMN options_activity.pc_oi_ratio_31_90 IS 'Put/call open-interest ratio in expiries 31 to 90 calendar days out.';
COMMENT ON COLUMN options_activity.put_volume_over_90 IS 'Put volume in expiries more than 90 calendar days out.';
COMMENT ON COLUMN options_activity.call_volume_over_90 IS 'Call volume in expiries more than 90 calendar days out.';
COMMENT ON COLUMN options_activity.put_oi_over_90 IS 'Put open interest in expiries more than 90 calendar days out.';
COMMENT ON COLUMN options_activity.call_oi_over_90 IS 'Call open interest in expiries more than 90 calendar days out.';
COMMENT ON COLUMN options_activity.pc_volume_ratio_over_90 IS 'Put/call volume ratio in expiries more than 90 calendar days out.';
COMMENT ON COLUMN options_activity.pc_oi_ratio_over_90 IS 'Put/call open-interest ratio in expiries more than 90 calendar days out.';

CREATE TABLE options_small_vs_large (
    trade_date DATE NOT NULL,
    small VARCHAR NOT NULL,
    large VARCHAR NOT NULL,
    small_pc_volume_ratio DOUBLE,
    large_pc_volume_ratio DOUBLE,
    small_pc_oi_ratio DOUBLE,
    large_pc_oi_ratio DOUBLE,
    pc_volume_ratio_spread DOUBLE,
    inputs_as_of DATE NOT NULL,
    PRIMARY KEY (trade_date)
);
COMMENT ON TABLE options_small_vs_large IS 'Small caps against large caps in options, per trading day: IWM and SPY put/call ratios side by side and their spread.';
COMMENT ON COLUMN options_small_vs_large.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';
COMMENT ON COLUMN options_small_vs_large.trade_date IS 'Trading day.';
COMMENT ON COLUMN options_small_vs_large.small IS 'The small-cap underlying (IWM).';
COMMENT ON COLUMN options_small_vs_large.large IS 'The large-cap underlying compared with it (SPY).';
COMMENT ON COLUMN options_small_vs_large.small_pc_volume_ratio IS 'Put/call volume ratio of the small-cap underlying.';
COMMENT ON COLUMN options_small_vs_large.large_pc_volume_ratio IS 'Put/call volume ratio of the large-cap underlying.';
COMMENT ON COLUMN options_small_vs_large.small_pc_oi_ratio IS 'Put/call open-interest ratio of the small-cap underlying.';
COMMENT ON COLUMN options_small_vs_large.large_pc_oi_ratio IS 'Put/call open-interest ratio of the large-cap underlying.';
COMMENT ON COLUMN options_small_vs_large.pc_volume_ratio_spread IS 'Small minus large put/call volume ratio: positive when protection is bought more heavily on small caps; null when either side is missing.';

CREATE TABLE call_sentiment (
    ticker          VARCHAR   NOT NULL,
    call_date       DATE      NOT NULL,
    section         VARCHAR   NOT NULL,
    words           BIGINT    NOT NULL,
    positive        BIGINT    NOT NULL,
    negative        BIGINT    NOT NULL,
    uncertainty     BIGINT    NOT NULL,
    litigious       BIGINT    NOT NULL,
    constraining    BIGINT    NOT NULL,
    strong_modal    BIGINT    NOT NULL,
    weak_modal      BIGINT    NOT NULL,
    net_tone        DOUBLE,
    tone_per_word   DOUBLE,
    turns           BIGINT    NOT NULL,
    no_speakers     BOOLEAN   NOT NULL,
    lexicon         VARCHAR   NOT NULL,
    lexicon_version VARCHAR   NOT NULL,
    batch_id        VARCHAR   NOT NULL,
    inputs_as_of DATE NOT NULL,
    PRIMARY KEY (ticker, call_date, section, lexicon, lexicon_version)
);
COMMENT ON TABLE call_sentiment IS 'Loughran-McDonald-style tone of each earnings call, per section, per lexicon version: a newer lexicon is a re-score stored beside the old. Each night scores only calls not yet scored with the current lexicon.';
COMMENT ON COLUMN call_sentiment.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';
COMMENT ON COLUMN call_sentiment.ticker IS 'Ticker of the company holding the call.';
COMMENT ON COLUMN call_sentiment.call_date IS 'Date of the call.';
COMMENT ON COLUMN call_sentiment.section IS 'call (every turn but the operator''s), prepared (remarks before the first question), qa (questions and answers), qa_executive and qa_analyst (Q&A by role, where roles are known), or whole (a transcript with no speakers, scored as one text).';
COMMENT ON COLUMN call_sentiment.words IS 'Tokens of two letters or more that are in the lexicon''s master word list.';
COMMENT ON COLUMN call_sentiment.positive IS 'Positive words, not counting one with a negation (no, not, none, neither, never, nobody) among the three tokens before it.';
COMMENT ON COLUMN call_sentiment.negative IS 'Negative words.';
COMMENT ON COLUMN call_sentiment.uncertainty IS 'Uncertainty words.';
COMMENT ON COLUMN call_sentiment.litigious IS 'Litigious words.';
COMMENT ON COLUMN call_sentiment.constraining IS 'Constraining words.';
COMMENT ON COLUMN call_sentiment.strong_modal IS 'Strong modal words (will, must, ...).';
COMMENT ON COLUMN call_sentiment.weak_modal IS 'Weak modal words (may, could, ...).';
COMMENT ON COLUMN call_sentiment.net_tone IS '(positive - negative) / (positive + negative), from -1 to 1; null when both are zero.';
COMMENT ON COLUMN call_sentiment.tone_per_word IS '(positive - negative) / words; null when words is zero.';
COMMENT ON COLUMN call_sentiment.turns IS 'Speaker turns scored in this section.';
COMMENT ON COLUMN call_sentiment.no_speakers IS 'True when the transcript had no speaker markup and was scored whole.';
COMMENT ON COLUMN call_sentiment.lexicon IS 'Name of the lexicon the words were counted with (loughran_mcdonald, or eea_default when no LM file is configured).';
COMMENT ON COLUMN call_sentiment.lexicon_version IS 'Version of that lexicon (latest year flag and a hash of its file).';
COMMENT ON COLUMN call_sentiment.batch_id IS 'Raw batch the transcript came from; a re-landed transcript is re-scored.';

CREATE TABLE sentiment_index (
    period            VARCHAR NOT NULL,
    period_start      DATE    NOT NULL,
    small_tone        DOUBLE,
    small_calls       BIGINT  NOT NULL,
    large_tone        DOUBLE,
    large_calls       BIGINT  NOT NULL,
    spread            DOUBLE,
    spread_percentile DOUBLE,
    thin              BOOLEAN NOT NULL,
    lexicon           VARCHAR NOT NULL,
    lexicon_version   VARCHAR NOT NULL,
    inputs_as_of DATE NOT NULL,
    PRIMARY KEY (period, period_start, lexicon, lexicon_version)
);
COMMENT ON TABLE sentiment_index IS 'Earnings-call tone of small caps against large caps per calendar month and quarter: mean net tone of the whole calls of index members (on the call date) and of the large-cap universe, their spread, and where the spread ranks among all periods on record. "Lowest ever" is ORDER BY spread_percentile.';
COMMENT ON COLUMN sentiment_index.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';
COMMENT ON COLUMN sentiment_index.period IS 'month or quarter.';
COMMENT ON COLUMN sentiment_index.period_start IS 'First day of the calendar month or quarter.';
COMMENT ON COLUMN sentiment_index.small_tone IS 'Mean net tone of the calls of companies in the small-cap index (russell_2000) on their call date.';
COMMENT ON COLUMN sentiment_index.small_calls IS 'Small-cap calls in the period.';
COMMENT ON COLUMN sentiment_index.large_tone IS 'Mean net tone of the calls of companies in the large-cap universe on their call date.';
COMMENT ON COLUMN sentiment_index.large_calls IS 'Large-cap calls in the period.';
COMMENT ON COLUMN sentiment_index.spread IS 'small_tone - large_tone: negative when small-cap managements sound gloomier than large-cap ones.';
COMMENT ON COLUMN sentiment_index.spread_percentile IS 'Share of periods of the same kind and lexicon whose spread is at or below this one (0-1]; the lowest spread on record has the smallest value.';
COMMENT ON COLUMN sentiment_index.thin IS 'True when either side has fewer calls than the configured minimum (default 20): shown, but weigh it lightly.';
COMMENT ON COLUMN sentiment_index.lexicon IS 'Lexicon the tones were counted with.';
COMMENT ON COLUMN sentiment_index.lexicon_version IS 'Version of that lexicon.';

CREATE TABLE validation_results (
    dataset           VARCHAR   NOT NULL,
    batch_id          VARCHAR   NOT NULL,
    run_id            VARCHAR   NOT NULL,
    as_of             DATE      NOT NULL,
    expectation       VARCHAR   NOT NULL,
    severity          VARCHAR   NOT NULL,
    success           BOOLEAN   NOT NULL,
    unexpected_count  BIGINT,
    unexpected_sample VARCHAR,
    details           VARCHAR,
    outcome           VARCHAR   NOT NULL,
    validated_at      TIMESTAMP NOT NULL
);
COMMENT ON TABLE validation_results IS 'One row per raw batch and expectation checked by the validation gate (Great Expectations, one suite per raw dataset): what passed, what failed, and what became of the batch.';
COMMENT ON COLUMN validation_results.dataset IS 'Raw dataset of the batch.';
COMMENT ON COLUMN validation_results.batch_id IS 'The batch checked; a quarantined batch keeps this id in lake/quarantine.';
COMMENT ON COLUMN validation_results.run_id IS 'Run that checked it.';
COMMENT ON COLUMN validation_results.as_of IS 'As-of date of that run.';
COMMENT ON COLUMN validation_results.expectation IS 'The expectation, with its column(s), e.g. expect_column_values_to_not_be_null(ticker).';
COMMENT ON COLUMN validation_results.severity IS 'critical (a failure stops the batch) or warning (recorded and shown, the batch lands).';
COMMENT ON COLUMN validation_results.success IS 'Whether the batch met the expectation.';
COMMENT ON COLUMN validation_results.unexpected_count IS 'Rows that broke it, where the expectation counts rows.';
COMMENT ON COLUMN validation_results.unexpected_sample IS 'Up to five offending values or rows, as JSON.';
COMMENT ON COLUMN validation_results.details IS 'What was observed, in words.';
COMMENT ON COLUMN validation_results.outcome IS 'What became of the batch: landed, quarantined, or released (landed later by hand from quarantine).';
COMMENT ON COLUMN validation_results.validated_at IS 'When the check ran, UTC.';

CREATE TABLE eea_company (
    as_of                    DATE    NOT NULL,
    index_name               VARCHAR NOT NULL,
    ticker                   VARCHAR NOT NULL,
    fiscal_year              INTEGER NOT NULL,
    period                   VARCHAR NOT NULL,
    roa_actual               DOUBLE,
    roa_asreported           DOUBLE,
    roa_analyst              DOUBLE,
    roa_analyst_reported     DOUBLE,
    roa_projection           DOUBLE,
    roa_market_implied       DOUBLE,
    roa_steady               DOUBLE,
    ev                       DOUBLE,
    assets                   DOUBLE,
    assets_opening           DOUBLE,
    r                        DOUBLE,
    g_terminal               DOUBLE,
    fy0                      INTEGER NOT NULL,
    fy0_filed                DATE,
    growth                   DOUBLE,
    growth_source            VARCHAR,
    revenue_concept          VARCHAR,
    operating_income_concept VARCHAR,
    assets_concept           VARCHAR,
    debt_concept             VARCHAR,
    borrowings               DOUBLE,
    lease_liabilities        DOUBLE,
    debt_flag                VARCHAR,
    financial                BOOLEAN,
    price_date               DATE,
    estimates_as_of          DATE,
    reason                   VARCHAR,
    inputs_as_of             DATE    NOT NULL,
    PRIMARY KEY (index_name, ticker, fiscal_year)
);
COMMENT ON TABLE eea_company IS 'The Embedded Expectations model per index member on the run''s as_of: one row per member and fiscal year, the actual years up to FY0 (the last fiscal year whose annual report was filed on or before as_of) and the forward years FY0+1 .. FY0+H. ROA values are fractions (0.07 = 7%). Members the model could not use are in eea_exclusions.';
COMMENT ON COLUMN eea_company.as_of IS 'The run''s as-of date: every input was published on or before it.';
COMMENT ON COLUMN eea_company.index_name IS 'Index the member belongs to on as_of: russell_2000 (small caps) or large_cap (the large-cap comparison universe).';
COMMENT ON COLUMN eea_company.ticker IS 'Ticker symbol as the index provider lists it.';
COMMENT ON COLUMN eea_company.fiscal_year IS 'Fiscal year, named by the Compustat convention: the calendar year in which it ends, or the year before for a year ending January to May (a retailer''s year ending 2024-02-03 is 2023); a 52/53-week year ending in the first week of a month counts as ending in the month before.';
COMMENT ON COLUMN eea_company.period IS '''actual'' for fiscal years up to FY0, ''FY0+t'' for the forward years of the model (t = 1 .. H).';
COMMENT ON COLUMN eea_company.roa_actual IS 'Uniform-style ROA of an actual year: adjusted earnings / mean(adjusted assets at the start and end of the year), with the adjustments switched on in settings. Null in forward years.';
COMMENT ON COLUMN eea_company.roa_asreported IS 'As-reported ROA of an actual year, no adjustments: net income / mean(total assets at the start and end of the year). Null in forward years.';
COMMENT ON COLUMN eea_company.roa_analyst IS 'Analyst ROA of a forward year: consensus net income (or EPS x shares) moved onto the Uniform basis by the FY0 gap between adjusted earnings and net income (grown with the asset path), over the year''s opening assets on the model''s asset path. Null where there is no consensus for the year.';
COMMENT ON COLUMN eea_company.roa_analyst_reported IS 'Consensus net income (or EPS x shares) over the year''s opening assets on the asset path, without the Uniform bridge.';
COMMENT ON COLUMN eea_company.roa_projection IS 'Our own projection of a forward year: ROA mean-reverting from FY0 toward the sector median, ROA_{t+1} = ROA_t + k (median - ROA_t), k estimated on the warehouse''s history (eea_index.k).';
COMMENT ON COLUMN eea_company.roa_market_implied IS 'Market-implied ROA of a forward year: the straight line from FY0''s ROA to the steady level roa_steady reached at year H, such that the valuation equals ev. Null where the member could not be solved (see reason).';
COMMENT ON COLUMN eea_company.roa_steady IS 'R*, the steady ROA the price implies from year H on (same on every row of the member).';
COMMENT ON COLUMN eea_company.ev IS 'Enterprise value at as_of, USD: last close x shares outstanding known at as_of + total debt + preferred stock + minority interest - excess cash (FY0 balance sheet).';
COMMENT ON COLUMN eea_company.assets IS 'Adjusted operating assets, USD: at the end of an actual year, or on the model''s asset path at the end of a forward year.';
COMMENT ON COLUMN eea_company.assets_opening IS 'Forward years: the asset path at the start of the year, the base the year''s earnings are earned on (USD). Null in actual years.';
COMMENT ON COLUMN eea_company.r IS 'Cost of capital used, a fraction: 10-year Treasury at as_of + beta x equity risk premium.';
COMMENT ON COLUMN eea_company.g_terminal IS 'Long-run growth after year H used, a fraction.';
COMMENT ON COLUMN eea_company.fy0 IS 'FY0: the last fiscal year whose annual report was filed on or before as_of.';
COMMENT ON COLUMN eea_company.fy0_filed IS 'Date FY0''s annual figures were first filed with the SEC.';
COMMENT ON COLUMN eea_company.growth IS 'Forward years: asset growth of the year on the model''s path, a fraction.';
COMMENT ON COLUMN eea_company.growth_source IS 'Where the asset growth comes from: ''analyst revenue'' (consensus revenue growth, then a linear fade to g_terminal at year H), ''last year''s revenue'' (no consensus: fade from FY0''s actual revenue growth), or ''g_terminal''.';
COMMENT ON COLUMN eea_company.revenue_concept IS 'The us-gaap concept FY0''s revenue was read from (first found in an ordered fallback list).';
COMMENT ON COLUMN eea_company.operating_income_concept IS 'The us-gaap concept (or derivation) FY0''s operating income was read from.';
COMMENT ON COLUMN eea_company.assets_concept IS 'The us-gaap concept FY0''s total assets were read from.';
COMMENT ON COLUMN eea_company.debt_concept IS 'The us-gaap concepts FY0''s total debt was summed from, joined with +: borrowings (LongTermDebt, or its noncurrent and current parts, short-term borrowings, drawn credit lines, or without a total convertible, notes and senior notes payable) then operating and finance lease liabilities; null where the company tags none (debt counted as 0, see debt_flag).';
COMMENT ON COLUMN eea_company.borrowings IS 'FY0''s borrowings, USD: debt without lease liabilities; null where none is tagged.';
COMMENT ON COLUMN eea_company.lease_liabilities IS 'FY0''s operating + finance lease liabilities, USD, counted as debt in EV (their right-of-use assets stay in the asset base); null where none is tagged.';
COMMENT ON COLUMN eea_company.debt_flag IS '''interest expense but no debt tagged'' where FY0 pays interest but no borrowings concept is found: EV counts that debt as 0 and may be too low; null otherwise.';
COMMENT ON COLUMN eea_company.financial IS 'True for banks, insurers and other financials (SIC 6000-6499, 6700-6799): left out of the index aggregate unless the run includes financials.';
COMMENT ON COLUMN eea_company.price_date IS 'Date of the close the market capitalisation uses (the last on or before as_of).';
COMMENT ON COLUMN eea_company.estimates_as_of IS 'Date the FY0+1 consensus was read; null without consensus.';
COMMENT ON COLUMN eea_company.reason IS 'Why the model could not solve this member (e.g. ''ev <= 0''), null where solved.';
COMMENT ON COLUMN eea_company.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';

CREATE TABLE eea_index (
    as_of                   DATE    NOT NULL,
    index_name              VARCHAR NOT NULL,
    fiscal_year             INTEGER NOT NULL,
    series                  VARCHAR NOT NULL,
    value                   DOUBLE,
    members_used            INTEGER NOT NULL,
    members_excluded        INTEGER NOT NULL,
    members_total           INTEGER NOT NULL,
    members_coverage        DOUBLE,
    weight_coverage         DOUBLE,
    coverage_ok             BOOLEAN NOT NULL,
    roa_steady              DOUBLE,
    roa_steady_cap_weighted DOUBLE,
    roa_steady_median       DOUBLE,
    r                       DOUBLE,
    g_terminal              DOUBLE,
    k                       DOUBLE,
    inputs_as_of            DATE    NOT NULL,
    PRIMARY KEY (index_name, fiscal_year, series)
);
COMMENT ON TABLE eea_index IS 'Index ROA by fiscal year, one row per series: what the headline chart draws. Every value is an aggregate (sum of earnings / sum of assets over the members), never a mean of ratios. SELECT fiscal_year, series, value FROM eea_index WHERE index_name = ''russell_2000'' ORDER BY 1, 2 is the chart; a year carried by only part of the index has coverage_ok false, and the chart shows only coverage_ok years (AND coverage_ok).';
COMMENT ON COLUMN eea_index.as_of IS 'The run''s as-of date.';
COMMENT ON COLUMN eea_index.index_name IS 'russell_2000 (small caps) or large_cap (the large-cap comparison universe).';
COMMENT ON COLUMN eea_index.fiscal_year IS 'Fiscal year (Compustat convention: a year ending January to May is named by the calendar year before); a member''s forward year t counts in the fiscal year FY0 + t of that member.';
COMMENT ON COLUMN eea_index.members_total IS 'Members of the index on as_of the aggregate is meant to hold, used or not: every member but the financials left out by policy (eea_exclusions stage policy).';
COMMENT ON COLUMN eea_index.members_coverage IS 'members_used / members_total.';
COMMENT ON COLUMN eea_index.weight_coverage IS 'Index weight (from the holdings file) of the members used / the weight of the members_total; null where weights are unknown.';
COMMENT ON COLUMN eea_index.coverage_ok IS 'Whether the value stands on enough of the index to be shown: weight_coverage (members_coverage where weights are unknown) >= the eea_min_coverage setting (two thirds by default). The chart and the report show only these years.';
COMMENT ON COLUMN eea_index.series IS 'actual (Uniform-style), actual_asreported (no adjustments), analyst (consensus), projection (our mean-reversion projection), market_implied (every member reaching the same steady ROA R*_index that values the index at its enterprise value).';
COMMENT ON COLUMN eea_index.value IS 'Index ROA, a fraction (0.07 = 7%): sum of the members'' earnings / sum of their assets (mean assets for actual years, opening assets on the asset path for forward years).';
COMMENT ON COLUMN eea_index.members_used IS 'Members whose numbers are in this value (market_implied: members with ev <= 0 included, the index being defined by its sums).';
COMMENT ON COLUMN eea_index.members_excluded IS 'Members on as_of the model could not use at all (eea_exclusions lists them with the reason); members_used of market_implied + members_excluded = members on as_of.';
COMMENT ON COLUMN eea_index.roa_steady IS 'market_implied rows: R*_index, the steady ROA every member reaches at year H such that the index is worth its enterprise value.';
COMMENT ON COLUMN eea_index.roa_steady_cap_weighted IS 'market_implied rows: the EV-weighted mean of the members'' own R*.';
COMMENT ON COLUMN eea_index.roa_steady_median IS 'market_implied rows: the median of the members'' own R*.';
COMMENT ON COLUMN eea_index.r IS 'Cost of capital at index level, a fraction.';
COMMENT ON COLUMN eea_index.g_terminal IS 'Long-run growth after year H, a fraction.';
COMMENT ON COLUMN eea_index.k IS 'Mean-reversion speed of the projection, a year, estimated on the history in the warehouse (0.3 where history is short).';
COMMENT ON COLUMN eea_index.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';

CREATE TABLE eea_sensitivity (
    as_of        DATE    NOT NULL,
    index_name   VARCHAR NOT NULL,
    parameter    VARCHAR NOT NULL,
    shift        DOUBLE  NOT NULL,
    variant      VARCHAR NOT NULL,
    r            DOUBLE,
    g_terminal   DOUBLE,
    roa_steady   DOUBLE,
    members_used INTEGER NOT NULL,
    inputs_as_of DATE    NOT NULL,
    PRIMARY KEY (index_name, parameter, shift, variant)
);
COMMENT ON TABLE eea_sensitivity IS 'How the index''s market-implied steady ROA (R*_index) moves with the cost of capital and the terminal growth, each shifted by -1, 0 and +1 point, and with who is in the index: financials in or out, R&D capitalised or not, members with ev <= 0 in or out.';
COMMENT ON COLUMN eea_sensitivity.as_of IS 'The run''s as-of date.';
COMMENT ON COLUMN eea_sensitivity.index_name IS 'russell_2000 or large_cap.';
COMMENT ON COLUMN eea_sensitivity.parameter IS 'What is varied: r or g_terminal (shifted), or financials, capitalise_rd, negative_ev (switched, see variant).';
COMMENT ON COLUMN eea_sensitivity.variant IS '''as configured'' for the r and g_terminal shifts; for the switches the side computed: financials included/excluded, capitalise_rd on/off, negative_ev included/excluded.';
COMMENT ON COLUMN eea_sensitivity.shift IS 'The shift, a fraction (0.01 = one point).';
COMMENT ON COLUMN eea_sensitivity.r IS 'Cost of capital after the shift, a fraction.';
COMMENT ON COLUMN eea_sensitivity.g_terminal IS 'Terminal growth after the shift, a fraction.';
COMMENT ON COLUMN eea_sensitivity.roa_steady IS 'R*_index under the shifted parameters, a fraction; null when no member can be solved (e.g. r <= g_terminal).';
COMMENT ON COLUMN eea_sensitivity.members_used IS 'Members solvable under the shifted parameters.';
COMMENT ON COLUMN eea_sensitivity.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';

CREATE TABLE eea_exclusions (
    as_of        DATE    NOT NULL,
    index_name   VARCHAR NOT NULL,
    ticker       VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    stage        VARCHAR NOT NULL,
    inputs_as_of DATE    NOT NULL,
    PRIMARY KEY (index_name, ticker)
);
COMMENT ON TABLE eea_exclusions IS 'Members on as_of the model could not use, each with its reason: nobody is dropped silently. Members in eea_company without a reason + these = the index''s members on as_of.';
COMMENT ON COLUMN eea_exclusions.as_of IS 'The run''s as-of date.';
COMMENT ON COLUMN eea_exclusions.index_name IS 'russell_2000 or large_cap.';
COMMENT ON COLUMN eea_exclusions.ticker IS 'Ticker symbol.';
COMMENT ON COLUMN eea_exclusions.reason IS 'Why: e.g. ''no annual statements filed on or before as_of'', ''no price on or before as_of'', ''assets_0 <= 0'', ''ev <= 0'', ''r <= g_terminal''.';
COMMENT ON COLUMN eea_exclusions.stage IS 'inputs (the member''s inputs could not be assembled), policy (a financial, left out of the index aggregate unless the run includes financials) or model (the inputs were there but the valuation could not be solved).';
COMMENT ON COLUMN eea_exclusions.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';

CREATE TABLE eea_screen (
    as_of                    DATE    NOT NULL,
    index_name               VARCHAR NOT NULL,
    rank                     INTEGER NOT NULL,
    ticker                   VARCHAR NOT NULL,
    name                     VARCHAR,
    sector                   VARCHAR,
    sic                      INTEGER,
    fy0                      INTEGER,
    gap                      DOUBLE  NOT NULL,
    roa_analyst_fy1          DOUBLE,
    roa_implied_fy1          DOUBLE,
    roa_analyst_fy2          DOUBLE,
    roa_implied_fy2          DOUBLE,
    roa_0                    DOUBLE,
    roa_steady               DOUBLE,
    leverage                 DOUBLE,
    floating_rate_debt_share DOUBLE,
    operating_margin         DOUBLE,
    market_cap               DOUBLE,
    ev                       DOUBLE,
    analysts                 INTEGER,
    inputs_as_of             DATE    NOT NULL,
    PRIMARY KEY (index_name, rank)
);
COMMENT ON TABLE eea_screen IS 'The members whose priced-in expectations are lowest: ranked by how far analysts'' ROA exceeds the market-implied ROA over FY1 and FY2 (top eea_screen_size per index), with what a careful stock picker checks next: sector, leverage, floating-rate debt and margin.';
COMMENT ON COLUMN eea_screen.as_of IS 'The run''s as-of date.';
COMMENT ON COLUMN eea_screen.index_name IS 'russell_2000 or large_cap.';
COMMENT ON COLUMN eea_screen.rank IS '1 = the largest gap in the index.';
COMMENT ON COLUMN eea_screen.ticker IS 'Ticker symbol.';
COMMENT ON COLUMN eea_screen.name IS 'Company name from the holdings file.';
COMMENT ON COLUMN eea_screen.sector IS 'Index provider''s sector.';
COMMENT ON COLUMN eea_screen.sic IS 'SEC standard industrial classification code.';
COMMENT ON COLUMN eea_screen.fy0 IS 'The member''s FY0.';
COMMENT ON COLUMN eea_screen.gap IS 'Mean over FY1 and FY2 (those with a consensus) of analyst ROA - market-implied ROA, a fraction: how much more profitability analysts expect than the price pays for.';
COMMENT ON COLUMN eea_screen.roa_analyst_fy1 IS 'Analyst ROA of FY0+1 (Uniform basis), a fraction.';
COMMENT ON COLUMN eea_screen.roa_implied_fy1 IS 'Market-implied ROA of FY0+1, a fraction.';
COMMENT ON COLUMN eea_screen.roa_analyst_fy2 IS 'Analyst ROA of FY0+2 (Uniform basis), a fraction.';
COMMENT ON COLUMN eea_screen.roa_implied_fy2 IS 'Market-implied ROA of FY0+2, a fraction.';
COMMENT ON COLUMN eea_screen.roa_0 IS 'Uniform-style ROA of FY0, a fraction.';
COMMENT ON COLUMN eea_screen.roa_steady IS 'The member''s own R*, a fraction.';
COMMENT ON COLUMN eea_screen.leverage IS 'Total debt / total assets at the end of FY0.';
COMMENT ON COLUMN eea_screen.floating_rate_debt_share IS 'Share of long-term debt at variable rates (us-gaap LongTermDebtPercentageBearingVariableInterestRate), a fraction; null where the company does not report it.';
COMMENT ON COLUMN eea_screen.operating_margin IS 'Operating income / revenue of FY0.';
COMMENT ON COLUMN eea_screen.market_cap IS 'Market capitalisation at as_of, USD.';
COMMENT ON COLUMN eea_screen.ev IS 'Enterprise value at as_of, USD.';
COMMENT ON COLUMN eea_screen.analysts IS 'Analysts in the FY0+1 consensus.';
COMMENT ON COLUMN eea_screen.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';

CREATE TABLE sector_exposure (
    index_name                VARCHAR NOT NULL,
    as_of                     DATE    NOT NULL,
    sector_group              VARCHAR NOT NULL,
    weight                    DOUBLE  NOT NULL,
    members                   INTEGER NOT NULL,
    members_total             INTEGER NOT NULL,
    weight_by_sector_fallback DOUBLE  NOT NULL,
    unclassified_weight       DOUBLE  NOT NULL,
    inputs_as_of              DATE    NOT NULL,
    PRIMARY KEY (index_name, as_of, sector_group)
);
COMMENT ON TABLE sector_exposure IS 'Index weight by sector group per holdings snapshot, for the small-cap index and the large-cap universe: the tariff-exposed group (auto parts, transport, capital goods, components) and the reshoring-sensitive group (shipbuilding, infrastructure, defense components, industrial tech, specialty materials), mapped from SIC codes known on the snapshot date (config/sector_groups.csv, one reviewed file), the provider''s sector where a member has no SIC.';
COMMENT ON COLUMN sector_exposure.index_name IS 'russell_2000 (small caps) or large_cap (the large-cap universe).';
COMMENT ON COLUMN sector_exposure.as_of IS 'Date of the holdings snapshot.';
COMMENT ON COLUMN sector_exposure.sector_group IS 'Sector group from the mapping file: tariff_exposed or reshoring_sensitive. A company can be in both.';
COMMENT ON COLUMN sector_exposure.weight IS 'Percent (0-100) of the index''s total member weight on the snapshot carried by members in the group.';
COMMENT ON COLUMN sector_exposure.members IS 'Members in the group on the snapshot.';
COMMENT ON COLUMN sector_exposure.members_total IS 'Members in the index on the snapshot.';
COMMENT ON COLUMN sector_exposure.weight_by_sector_fallback IS 'Percent of the index carried by members put in the group by their provider sector name because no SIC code was known.';
COMMENT ON COLUMN sector_exposure.unclassified_weight IS 'Percent of the index carried by members with neither a SIC code nor a sector (same on every group row of a snapshot).';
COMMENT ON COLUMN sector_exposure.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets): equal to the run''s as_of, or earlier when an input batch was quarantined or missing and the table was built on the last good data.';

CREATE TABLE eea_explain (
    as_of        DATE    NOT NULL,
    index_name   VARCHAR NOT NULL,
    ticker       VARCHAR NOT NULL,
    step         INTEGER NOT NULL,
    section      VARCHAR NOT NULL,
    item         VARCHAR NOT NULL,
    value        DOUBLE,
    unit         VARCHAR,
    fiscal_year  INTEGER,
    concept      VARCHAR,
    period_start DATE,
    period_end   DATE,
    form         VARCHAR,
    accession    VARCHAR,
    filed        DATE,
    derivation   VARCHAR,
    inputs_as_of DATE    NOT NULL
);
COMMENT ON TABLE eea_explain IS 'The whole derivation of each modelled member''s numbers on as_of, one row per number in the order a reader redoes them (eea explain TICKER prints it): price and shares, the FY0 balance sheet items of EV and EV, each filed fact with its concept, period, form, accession number and filing date, the R&D history, the Uniform adjustments and ROA, r, the growth and asset path, the valuation''s a and b, R* and the implied ROA path.';
COMMENT ON COLUMN eea_explain.as_of IS 'The run''s as-of date.';
COMMENT ON COLUMN eea_explain.index_name IS 'russell_2000 or large_cap.';
COMMENT ON COLUMN eea_explain.ticker IS 'Ticker symbol.';
COMMENT ON COLUMN eea_explain.step IS 'Order of the derivation: 10s price, 20s EV, 100s filed facts of FY0, 150 R&D history, 160-170s Uniform adjustments, 200s r, 300s growth and asset path, 400s the solve.';
COMMENT ON COLUMN eea_explain.section IS 'price, balance sheet, filings FY0, R&D history, uniform, rate, growth or solve.';
COMMENT ON COLUMN eea_explain.item IS 'The number: e.g. close, market_cap, debt, ev, revenue, rd, adj_earnings, roa_0, r, growth_1, a, b, roa_steady, roa_implied_1.';
COMMENT ON COLUMN eea_explain.value IS 'Its value, in unit.';
COMMENT ON COLUMN eea_explain.unit IS 'USD, USD per share, shares, fraction (0.07 = 7%) or percent.';
COMMENT ON COLUMN eea_explain.fiscal_year IS 'Fiscal year the number belongs to (Compustat convention), null for the price, shares and rates.';
COMMENT ON COLUMN eea_explain.concept IS 'Filed facts: the us-gaap concept read; the close: the price provider.';
COMMENT ON COLUMN eea_explain.period_start IS 'Filed duration facts: the first day of the period.';
COMMENT ON COLUMN eea_explain.period_end IS 'Filed facts: the period end (balance date); the close: the price date; risk_free: its date.';
COMMENT ON COLUMN eea_explain.form IS 'The SEC form the fact was read from (10-K, 10-K/A, ...).';
COMMENT ON COLUMN eea_explain.accession IS 'SEC accession number of the filing the fact was read from: the filing is https://www.sec.gov/Archives/edgar/data/<cik>/<accession without dashes>/.';
COMMENT ON COLUMN eea_explain.filed IS 'Date that filing was filed (the fact was usable from then).';
COMMENT ON COLUMN eea_explain.derivation IS 'Derived numbers: the formula over the rows before it; growth: where it comes from; a flag or why a number is missing.';
COMMENT ON COLUMN eea_explain.inputs_as_of IS 'The latest day the inputs of this table were landed for (the oldest across its raw datasets).';
