-- Staging layer: views over the raw layer that only rename, cast and convert
-- units. They hold no data of their own, so they are always as current as
-- raw. One row per key is guaranteed upstream: every key includes its
-- dataset's partition date, a landing replaces whole partitions, and the
-- store refuses a batch with a duplicated key.

CREATE OR REPLACE VIEW staging.constituents AS
SELECT index_name, as_of, upper(trim(ticker)) AS ticker, name, sector, weight, shares_held,
       market_value, price, cik, exchange, batch_id
FROM raw.constituents;

CREATE OR REPLACE VIEW staging.prices AS
SELECT upper(trim(ticker)) AS ticker, date, open, high, low, close, volume,
       coalesce(dividend, 0.0) AS dividend, coalesce(nullif(split_ratio, 0.0), 1.0) AS split_ratio,
       adjusted, basis_date, source, batch_id
FROM raw.prices;

CREATE OR REPLACE VIEW staging.companies AS
SELECT cik, as_of, upper(trim(ticker)) AS ticker, name, sic, sic_description, fiscal_year_end, exchange, batch_id
FROM raw.companies;

CREATE OR REPLACE VIEW staging.shares_outstanding AS
SELECT cik, upper(trim(ticker)) AS ticker, period_end, filed, shares, form, accession, batch_id
FROM raw.shares_outstanding;

CREATE OR REPLACE VIEW staging.fundamentals AS
SELECT cik, upper(trim(ticker)) AS ticker, taxonomy, concept, unit, period_start, period_end, value,
       fiscal_year, fiscal_period, form, filed, accession, frame, batch_id
FROM raw.fundamentals;

CREATE OR REPLACE VIEW staging.estimates AS
SELECT upper(trim(ticker)) AS ticker, fiscal_year, as_of, revenue, earnings, eps, analysts, batch_id
FROM raw.estimates;

CREATE OR REPLACE VIEW staging.transcripts AS
SELECT upper(trim(ticker)) AS ticker, call_date, fiscal_year, fiscal_quarter, title, layout, text, batch_id
FROM raw.transcripts;

-- Contracts with no implied volatility, no trade or no quote are kept and flagged, never dropped.
CREATE OR REPLACE VIEW staging.options AS
SELECT upper(trim(underlying)) AS underlying, trade_date, contract, expiry, option_type, strike, volume,
       open_interest, bid, ask, last, iv, delta, underlying_price, batch_id,
       coalesce(iv, 0) = 0 AS zero_iv,
       coalesce(last, 0) = 0 AS no_last_trade,
       coalesce(bid, 0) = 0 AND coalesce(ask, 0) = 0 AS no_quote
FROM raw.options;

CREATE OR REPLACE VIEW staging.rates AS
SELECT series, date, value, batch_id
FROM raw.rates;
