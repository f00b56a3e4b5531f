-- Per-version aggregates, packed: one table for hourly and daily buckets (bucket_seconds 3600 /
-- 86400), fed by ONE materialized view from promptline_generations (linked rows only), with the
-- figures in three maps instead of twenty columns (layout: src/statsLayout.ts). A small-window read
-- pays a fixed engine cost per column read; packing took a 7-day window from ~30 to ~22 ms of
-- engine time, and one view + one table instead of two each is one less per-insert planning and
-- deduplication-log cost.
--
-- Replaces 0007's promptline_version_stats_1h / _1d tables: their rows are copied here, their views
-- and tables dropped, and views of the same names unpack the maps into the earlier named columns
-- (counts, sums, Tuple(Array(Int16), Array(UInt64)) histograms), so SQL written for them (Grafana,
-- alert rules) reads the same. Run with ingestion stopped (the collector migrates before it
-- accepts data): spans written between the drop of the old views and the creation of the new one
-- reach generations but not the aggregates. Re-runnable: the copy runs only into an empty table.

CREATE TABLE IF NOT EXISTS {{local:promptline_version_stats}} {{on_cluster}} (
    project_id     LowCardinality(String),
    prompt_name    LowCardinality(String),
    bucket_seconds UInt32,
    bucket         DateTime('UTC'),
    prompt_version UInt32,
    prompt_label   LowCardinality(String),
    environment    LowCardinality(String),
    model          LowCardinality(String),
    counts         SimpleAggregateFunction(sumMap, Map(UInt8, UInt64)),
    sums           SimpleAggregateFunction(sumMap, Map(UInt8, Float64)),
    hist           SimpleAggregateFunction(sumMap, Map(Int32, UInt64)),
    first_seen     SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_seen      SimpleAggregateFunction(max, DateTime64(9, 'UTC'))
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (project_id, prompt_name, bucket_seconds, bucket, prompt_version, prompt_label, environment, model)
{{ttl:bucket}}
SETTINGS {{dedup_window}}, index_granularity = 64;

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:promptline_version_stats}} {{on_cluster}} AS {{local:promptline_version_stats}}
ENGINE = {{distributed:promptline_version_stats:rand()}};

DROP VIEW IF EXISTS {{local:promptline_version_stats_1h_mv}} {{on_cluster}} SYNC;

DROP VIEW IF EXISTS {{local:promptline_version_stats_1d_mv}} {{on_cluster}} SYNC;

-- Copy the rows of the 0007 tables (once: only into a table that holds no rows yet).
INSERT INTO {{table:promptline_version_stats}}
    (project_id, prompt_name, bucket_seconds, bucket, prompt_version, prompt_label, environment, model,
     counts, sums, hist, first_seen, last_seen)
SELECT project_id, prompt_name, b.seconds, bucket, prompt_version, prompt_label, environment, model,
    {{stats:pack_columns}},
    first_seen, last_seen
FROM (
    SELECT 3600 AS seconds, * FROM {{table:promptline_version_stats_1h}}
    UNION ALL
    SELECT 86400 AS seconds, * FROM {{table:promptline_version_stats_1d}}
) AS b
WHERE (SELECT count() FROM {{table:promptline_version_stats}}) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_version_stats_mv}} {{on_cluster}}
TO {{local:promptline_version_stats}} AS
SELECT
    project_id, prompt_name, bucket_seconds,
    if(bucket_seconds = 3600, toStartOfHour(g.timestamp), toStartOfDay(g.timestamp)) AS bucket,
    prompt_version, prompt_label, environment, model,
    {{stats:aggregate}}
FROM {{local:promptline_generations}} AS g
ARRAY JOIN [3600, 86400] AS bucket_seconds
WHERE prompt_version > 0
GROUP BY project_id, prompt_name, bucket_seconds, bucket, prompt_version, prompt_label, environment, model;

-- @cluster
DROP TABLE IF EXISTS {{local:promptline_version_stats_1h}} {{on_cluster}} SYNC;

-- @cluster
DROP TABLE IF EXISTS {{local:promptline_version_stats_1d}} {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{table:promptline_version_stats_1h}} {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{table:promptline_version_stats_1d}} {{on_cluster}} SYNC;

-- The earlier layout, unpacked, for SQL written against it. Filters on the key columns reach the
-- table's primary key through the view.
CREATE VIEW IF NOT EXISTS {{table:promptline_version_stats_1h}} {{on_cluster}} AS
SELECT project_id, prompt_name, prompt_version, prompt_label, environment, model, bucket,
    {{stats:unpack}},
    first_seen, last_seen
FROM {{table:promptline_version_stats}}
WHERE bucket_seconds = 3600;

CREATE VIEW IF NOT EXISTS {{table:promptline_version_stats_1d}} {{on_cluster}} AS
SELECT project_id, prompt_name, prompt_version, prompt_label, environment, model, bucket,
    {{stats:unpack}},
    first_seen, last_seen
FROM {{table:promptline_version_stats}}
WHERE bucket_seconds = 86400;
