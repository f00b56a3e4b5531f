-- Per-version score aggregates per hour of the scored generation, fed from promptline_scores rows
-- that were resolved to a version at insert. Unresolved scores (arrived before their span) are added
-- by the query layer at read time (see 0006_scores.sql).

CREATE TABLE IF NOT EXISTS {{local:promptline_score_stats_1h}} {{on_cluster}} (
    project_id     LowCardinality(String),
    prompt_name    LowCardinality(String),
    prompt_version UInt32,
    prompt_label   LowCardinality(String),
    environment    LowCardinality(String),
    score_name     LowCardinality(String),
    bucket         DateTime('UTC'),
    scores         SimpleAggregateFunction(sum, UInt64),
    value_count    SimpleAggregateFunction(sum, UInt64),
    value_sum      SimpleAggregateFunction(sum, Float64),
    value_h        SimpleAggregateFunction(sumMap, Tuple(Array(Int16), Array(UInt64))),
    label_counts   SimpleAggregateFunction(sumMap, Tuple(Array(String), Array(UInt64))),
    first_seen     SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_seen      SimpleAggregateFunction(max, DateTime64(9, 'UTC'))
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (project_id, prompt_name, prompt_version, score_name, bucket, prompt_label, environment)
{{ttl:bucket}}
SETTINGS {{dedup_window}}, index_granularity = 64;

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:promptline_score_stats_1h}} {{on_cluster}} AS {{local:promptline_score_stats_1h}}
ENGINE = {{distributed:promptline_score_stats_1h:rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_score_stats_1h_mv}} {{on_cluster}}
TO {{local:promptline_score_stats_1h}} AS
SELECT
    project_id, prompt_name, prompt_version, prompt_label, environment, score_name,
    toStartOfHour(generation_time) AS bucket,
    count() AS scores,
    countIf(value IS NOT NULL) AS value_count,
    sumIf(assumeNotNull(value), value IS NOT NULL) AS value_sum,
    sumMap({{hist:value}}) AS value_h,
    sumMap(if(label != '', [label], CAST([], 'Array(String)')), if(label != '', [toUInt64(1)], CAST([], 'Array(UInt64)'))) AS label_counts,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen
FROM {{local:promptline_scores}}
WHERE prompt_version > 0
GROUP BY project_id, prompt_name, prompt_version, prompt_label, environment, score_name, bucket;
