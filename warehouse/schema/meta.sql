-- Bookkeeping of the warehouse itself: which lake files are current, which
-- batches landed, which run built each table. Created on first use; a run
-- changes these only in its own working copy, so they publish atomically
-- with the data they describe.

CREATE TABLE IF NOT EXISTS meta.lake_files (
    layer      VARCHAR   NOT NULL,  -- 'raw'
    dataset    VARCHAR   NOT NULL,
    part_date  DATE      NOT NULL,  -- value of the dataset's partition column
    path       VARCHAR   NOT NULL,  -- relative to the data directory
    batch_id   VARCHAR   NOT NULL,
    rows       BIGINT    NOT NULL,
    written_at TIMESTAMP NOT NULL,
    PRIMARY KEY (path)
);

CREATE TABLE IF NOT EXISTS meta.batches (
    batch_id     VARCHAR   NOT NULL,
    dataset      VARCHAR   NOT NULL,
    source       VARCHAR   NOT NULL,
    run_id       VARCHAR   NOT NULL,
    as_of        DATE      NOT NULL,
    window_start DATE      NOT NULL,
    window_end   DATE      NOT NULL,
    rows         BIGINT    NOT NULL,
    partitions   BIGINT    NOT NULL,
    landed_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (batch_id)
);

CREATE TABLE IF NOT EXISTS meta.table_builds (
    table_name VARCHAR   NOT NULL,
    as_of      DATE      NOT NULL,
    run_id     VARCHAR   NOT NULL,
    rows       BIGINT    NOT NULL,
    built_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (table_name)
);

-- Where the lake is: one row. A lake under the data directory has url NULL;
-- one on object storage its s3:// URL and endpoint (never its credentials).
-- lake_id is also in the object-storage lake's _eea_lake.json, so no two
-- warehouses share (and clean up) one lake.
CREATE TABLE IF NOT EXISTS meta.lake (
    url          VARCHAR,             -- s3://bucket/prefix, or NULL: data_dir/lake
    endpoint_url VARCHAR,             -- S3-compatible endpoint, NULL for AWS
    region       VARCHAR,
    lake_id      VARCHAR   NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);
