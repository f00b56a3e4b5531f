-- Counts unpriced generations per version: a generation that used tokens but has no cost (no span
-- cost, no price for its model: cost_source 'none') is counted in the packed `counts` map under the
-- `unpriced` key (src/statsLayout.ts), so a model missing from the price table shows as "N calls
-- unpriced" instead of silently adding $0. The per-version view is recreated with the figure; rows
-- aggregated before this migration count 0 unpriced (their count is not known). The compatibility
-- views gain the `unpriced` column.
--
-- Run with ingestion stopped (the collector migrates before it accepts data): spans written between
-- the drop and the create reach generations but not the aggregates. Re-runnable.

DROP VIEW IF EXISTS {{local:promptline_version_stats_mv}} {{on_cluster}} SYNC;

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

DROP VIEW IF EXISTS {{table:promptline_version_stats_1h}} {{on_cluster}} SYNC;

DROP VIEW IF EXISTS {{table:promptline_version_stats_1d}} {{on_cluster}} SYNC;

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
