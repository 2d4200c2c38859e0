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
COMMENT ON COLUMN daily_prices.close IS 'Closing price, USD per share, as traded on that day where the provider allows: demo closes are as traded; Yahoo closes come split-adjusted as of the download, and are converted back to as traded with the split events of the same payload (always fetched through the download day), so a split is never applied twice; Stooq closes are split- and dividend-adjusted by Stooq and kept so (adj_close = close, returns from close); Cboe history is split-adjusted with no split events in the payload, so it stays split-adjusted. The source column says which provider a row came from.';
COMMENT ON COLUMN daily_prices.volume IS 'Shares traded that day (fractional only where the provider adjusted volume).';
COMMENT ON COLUMN daily_prices.dividend IS 'Cash dividend per share going ex on this day, USD; 0 when none.';
COMMENT ON COLUMN daily_prices.split_ratio IS 'Shares after per share before for a split effective this day (4-for-1 is 4.0, 1-for-10 reverse is 0.1); 1 when none.';
COMMENT ON COLUMN daily_prices.adj_close IS 'Close adjusted for all splits and dividends up to the run''s as_of (CRSP-style backward adjustment): equals close on the latest day. Each dividend scales earlier prices by (1 - dividend / previous close), as Yahoo and CRSP do, so adj_close ratios are total returns with the dividend reinvested at the previous close.';
COMMENT ON COLUMN daily_prices.return_1d IS 'Total return from the previous trading day''s close, as a fraction: (close + dividend) x split_ratio / previous close - 1 (CRSP''s holding-period return); null on a ticker''s first day.';
COMMENT ON COLUMN daily_prices.shares_outstanding IS 'Common shares outstanding known on this day: the latest SEC cover-page count filed on or before it, scaled by splits effective after that filing. Null before the first filing.';
COMMENT ON COLUMN daily_prices.market_cap IS 'Market capitalisation, USD: close x shares_outstanding. Null where shares outstanding are unknown.';
COMMENT ON COLUMN daily_prices.source IS 'Provider of the price bar (demo, yahoo, stooq, cboe, files).';

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
