-- Version names in the aggregates, and unlinked generations counted where a user can see them.
--
-- prompt_version_name (0015) travels into the per-version aggregates and the label history, so every
-- reader shows a named version as it was sent (`2.1.0`, `#a1b2c3d4`) and integer versions as their
-- number: a SimpleAggregateFunction(max, String) column, the same for every row of one version (its
-- value is a function of the stored id). Rows aggregated before this migration read the number
-- (column DEFAULT). The compatibility views promptline_version_stats_1h / _1d gain the column.
--
-- promptline_unlinked_stats counts the generations that are not linked to a version (prompt_version
-- 0), per hour, project, reason (fallback, no_prompt_name, no_version, unparsable_version), prompt
-- name and environment, so a generation never disappears silently: `promptline unlinked`, the read
-- API's /api/v1/unlinked and the metrics report show them. Filled once from the generations stored
-- so far (their reason from 0015's column default), only while the table is empty.
--
-- Run with ingestion stopped (the collector migrates before it accepts data): spans written between
-- the drop and the create of a view reach generations but not that view's table. Re-runnable.

ALTER TABLE {{local:promptline_version_stats}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS prompt_version_name SimpleAggregateFunction(max, String)
        DEFAULT toString(prompt_version) AFTER prompt_version;

-- @cluster
ALTER TABLE {{table:promptline_version_stats}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS prompt_version_name SimpleAggregateFunction(max, String)
        DEFAULT toString(prompt_version) AFTER prompt_version;

ALTER TABLE {{local:promptline_label_history}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS prompt_version_name SimpleAggregateFunction(max, String)
        DEFAULT toString(prompt_version) AFTER prompt_version;

-- @cluster
ALTER TABLE {{table:promptline_label_history}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS prompt_version_name SimpleAggregateFunction(max, String)
        DEFAULT toString(prompt_version) AFTER prompt_version;

DROP VIEW IF EXISTS {{local:promptline_version_stats_mv}} {{on_cluster}} SYNC;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_version_stats_mv}} {{on_cluster}}
TO {{local:promptline_version_stats}} AS
SELECT
    project_id, prompt_name, bucket_seconds,
    if(bucket_seconds = 3600, toStartOfHour(g.timestamp), toStartOfDay(g.timestamp)) AS bucket,
    prompt_version, prompt_label, environment, model,
    {{stats:aggregate}},
    max(toString(g.prompt_version_name)) AS prompt_version_name
FROM {{local:promptline_generations}} AS g
ARRAY JOIN [3600, 86400] AS bucket_seconds
WHERE prompt_version > 0
GROUP BY project_id, prompt_name, bucket_seconds, bucket, prompt_version, prompt_label, environment, model;

DROP VIEW IF EXISTS {{local:promptline_label_history_mv}} {{on_cluster}} SYNC;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_label_history_mv}} {{on_cluster}}
TO {{local:promptline_label_history}} AS
SELECT project_id, prompt_name, prompt_label, prompt_version, environment,
    count() AS requests, min(g.timestamp) AS first_seen, max(g.timestamp) AS last_seen,
    max(toString(g.prompt_version_name)) AS prompt_version_name
FROM {{local:promptline_generations}} AS g
WHERE prompt_version > 0 AND prompt_label != ''
GROUP BY project_id, prompt_name, prompt_label, prompt_version, environment;

DROP VIEW IF EXISTS {{table:promptline_version_stats_1h}} {{on_cluster}} SYNC;

DROP VIEW IF EXISTS {{table:promptline_version_stats_1d}} {{on_cluster}} SYNC;

CREATE VIEW IF NOT EXISTS {{table:promptline_version_stats_1h}} {{on_cluster}} AS
SELECT project_id, prompt_name, prompt_version, prompt_version_name, prompt_label, environment, model, bucket,
    {{stats:unpack}},
    first_seen, last_seen
FROM {{table:promptline_version_stats}}
WHERE bucket_seconds = 3600;

CREATE VIEW IF NOT EXISTS {{table:promptline_version_stats_1d}} {{on_cluster}} AS
SELECT project_id, prompt_name, prompt_version, prompt_version_name, prompt_label, environment, model, bucket,
    {{stats:unpack}},
    first_seen, last_seen
FROM {{table:promptline_version_stats}}
WHERE bucket_seconds = 86400;

CREATE TABLE IF NOT EXISTS {{local:promptline_unlinked_stats}} {{on_cluster}} (
    project_id      LowCardinality(String),
    bucket          DateTime('UTC'),
    unlinked_reason LowCardinality(String),
    prompt_name     LowCardinality(String),
    environment     LowCardinality(String),
    generations     SimpleAggregateFunction(sum, UInt64),
    first_seen      SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_seen       SimpleAggregateFunction(max, DateTime64(9, 'UTC'))
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (project_id, bucket, unlinked_reason, prompt_name, environment)
{{ttl:bucket}}
SETTINGS {{dedup_window}}, index_granularity = 256;

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:promptline_unlinked_stats}} {{on_cluster}} AS {{local:promptline_unlinked_stats}}
ENGINE = {{distributed:promptline_unlinked_stats:rand()}};

INSERT INTO {{table:promptline_unlinked_stats}}
    (project_id, bucket, unlinked_reason, prompt_name, environment, generations, first_seen, last_seen)
SELECT project_id, toStartOfHour(timestamp) AS bucket, unlinked_reason, prompt_name, environment,
    count(), min(timestamp), max(timestamp)
FROM {{table:promptline_generations}}
WHERE prompt_version = 0 AND (SELECT count() FROM {{table:promptline_unlinked_stats}}) = 0
GROUP BY project_id, bucket, unlinked_reason, prompt_name, environment;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_unlinked_stats_mv}} {{on_cluster}}
TO {{local:promptline_unlinked_stats}} AS
SELECT project_id, toStartOfHour(g.timestamp) AS bucket, unlinked_reason, prompt_name, environment,
    count() AS generations, min(g.timestamp) AS first_seen, max(g.timestamp) AS last_seen
FROM {{local:promptline_generations}} AS g
WHERE prompt_version = 0
GROUP BY project_id, bucket, unlinked_reason, prompt_name, environment;
