-- Per-version aggregates, fed by materialized views from promptline_generations (linked rows only).
-- Buckets: 1 hour (time series and windows up to ~90 days) and 1 day (long windows), both with the
-- same columns. Quantiles come from *_h log-bucketed histograms (bucket key -> count, gamma 1.01, see
-- src/histogram.ts): merged with sumMap, read back within 0.5% of the exact order statistic. Token
-- and cost histograms cover successful generations only (errors carry no usage); latency covers
-- all. Read with the query layer, or with sum/min/max/sumMap and GROUP BY the key. Granules of 64
-- rows: a row holds histograms of hundreds of buckets, and a window reads a few rows per version.

CREATE TABLE IF NOT EXISTS {{local:promptline_version_stats_1h}} {{on_cluster}} (
    project_id        LowCardinality(String),
    prompt_name       LowCardinality(String),
    prompt_version    UInt32,
    prompt_label      LowCardinality(String),
    environment       LowCardinality(String),
    model             LowCardinality(String),
    bucket            DateTime('UTC'),
    requests          SimpleAggregateFunction(sum, UInt64),
    errors            SimpleAggregateFunction(sum, UInt64),
    latency_ms_sum    SimpleAggregateFunction(sum, Float64),
    latency_ms_h      SimpleAggregateFunction(sumMap, Tuple(Array(Int16), Array(UInt64))),
    ttft_count        SimpleAggregateFunction(sum, UInt64),
    ttft_ms_sum       SimpleAggregateFunction(sum, Float64),
    ttft_ms_h         SimpleAggregateFunction(sumMap, Tuple(Array(Int16), Array(UInt64))),
    total_tokens_h    SimpleAggregateFunction(sumMap, Tuple(Array(Int16), Array(UInt64))),
    cost_usd_h        SimpleAggregateFunction(sumMap, Tuple(Array(Int16), Array(UInt64))),
    input_tokens      SimpleAggregateFunction(sum, UInt64),
    output_tokens     SimpleAggregateFunction(sum, UInt64),
    cache_read_tokens SimpleAggregateFunction(sum, UInt64),
    reasoning_tokens  SimpleAggregateFunction(sum, UInt64),
    cost_usd          SimpleAggregateFunction(sum, Float64),
    input_cost_usd    SimpleAggregateFunction(sum, Float64),
    output_cost_usd   SimpleAggregateFunction(sum, Float64),
    validated         SimpleAggregateFunction(sum, UInt64),
    validation_passed SimpleAggregateFunction(sum, UInt64),
    first_seen        SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_seen         SimpleAggregateFunction(max, DateTime64(9, 'UTC'))
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (project_id, prompt_name, prompt_version, bucket, prompt_label, environment, model)
{{ttl:bucket}}
SETTINGS {{dedup_window}}, index_granularity = 64;

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:promptline_version_stats_1h}} {{on_cluster}} AS {{local:promptline_version_stats_1h}}
ENGINE = {{distributed:promptline_version_stats_1h:rand()}};

CREATE TABLE IF NOT EXISTS {{local:promptline_version_stats_1d}} {{on_cluster}} AS {{local:promptline_version_stats_1h}}
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYear(bucket)
ORDER BY (project_id, prompt_name, prompt_version, bucket, prompt_label, environment, model)
{{ttl:bucket}}
SETTINGS {{dedup_window}}, index_granularity = 64;

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:promptline_version_stats_1d}} {{on_cluster}} AS {{local:promptline_version_stats_1d}}
ENGINE = {{distributed:promptline_version_stats_1d:rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_version_stats_1h_mv}} {{on_cluster}}
TO {{local:promptline_version_stats_1h}} AS
SELECT
    project_id, prompt_name, prompt_version, prompt_label, environment, model,
    toStartOfHour(g.timestamp) AS bucket,
    count() AS requests,
    sum(g.is_error) AS errors,
    sum(g.latency_ms) AS latency_ms_sum,
    sumMap({{hist:g.latency_ms}}) AS latency_ms_h,
    countIf(g.ttft_ms IS NOT NULL) AS ttft_count,
    sumIf(assumeNotNull(g.ttft_ms), g.ttft_ms IS NOT NULL) AS ttft_ms_sum,
    sumMap({{hist:g.ttft_ms}}) AS ttft_ms_h,
    sumMap({{hist:if(g.is_error = 0, toFloat64(g.input_tokens + g.output_tokens), NULL)}}) AS total_tokens_h,
    sumMap({{hist:if(g.is_error = 0, g.cost_usd, NULL)}}) AS cost_usd_h,
    sum(g.input_tokens) AS input_tokens,
    sum(g.output_tokens) AS output_tokens,
    sum(g.cache_read_tokens) AS cache_read_tokens,
    sum(g.reasoning_tokens) AS reasoning_tokens,
    sum(g.cost_usd) AS cost_usd,
    sum(g.input_cost_usd) AS input_cost_usd,
    sum(g.output_cost_usd) AS output_cost_usd,
    countIf(g.validation_passed IS NOT NULL) AS validated,
    countIf(g.validation_passed = 1) AS validation_passed,
    min(g.timestamp) AS first_seen,
    max(g.timestamp) AS last_seen
FROM {{local:promptline_generations}} AS g
WHERE prompt_version > 0
GROUP BY project_id, prompt_name, prompt_version, prompt_label, environment, model, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_version_stats_1d_mv}} {{on_cluster}}
TO {{local:promptline_version_stats_1d}} AS
SELECT
    project_id, prompt_name, prompt_version, prompt_label, environment, model,
    toStartOfDay(g.timestamp) AS bucket,
    count() AS requests,
    sum(g.is_error) AS errors,
    sum(g.latency_ms) AS latency_ms_sum,
    sumMap({{hist:g.latency_ms}}) AS latency_ms_h,
    countIf(g.ttft_ms IS NOT NULL) AS ttft_count,
    sumIf(assumeNotNull(g.ttft_ms), g.ttft_ms IS NOT NULL) AS ttft_ms_sum,
    sumMap({{hist:g.ttft_ms}}) AS ttft_ms_h,
    sumMap({{hist:if(g.is_error = 0, toFloat64(g.input_tokens + g.output_tokens), NULL)}}) AS total_tokens_h,
    sumMap({{hist:if(g.is_error = 0, g.cost_usd, NULL)}}) AS cost_usd_h,
    sum(g.input_tokens) AS input_tokens,
    sum(g.output_tokens) AS output_tokens,
    sum(g.cache_read_tokens) AS cache_read_tokens,
    sum(g.reasoning_tokens) AS reasoning_tokens,
    sum(g.cost_usd) AS cost_usd,
    sum(g.input_cost_usd) AS input_cost_usd,
    sum(g.output_cost_usd) AS output_cost_usd,
    countIf(g.validation_passed IS NOT NULL) AS validated,
    countIf(g.validation_passed = 1) AS validation_passed,
    min(g.timestamp) AS first_seen,
    max(g.timestamp) AS last_seen
FROM {{local:promptline_generations}} AS g
WHERE prompt_version > 0
GROUP BY project_id, prompt_name, prompt_version, prompt_label, environment, model, bucket;

-- Label history: when each label was first / last seen pointing at each version (from spans).
CREATE TABLE IF NOT EXISTS {{local:promptline_label_history}} {{on_cluster}} (
    project_id     LowCardinality(String),
    prompt_name    LowCardinality(String),
    prompt_label   LowCardinality(String),
    prompt_version UInt32,
    environment    LowCardinality(String),
    requests       SimpleAggregateFunction(sum, UInt64),
    first_seen     SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_seen      SimpleAggregateFunction(max, DateTime64(9, 'UTC'))
)
ENGINE = {{engine:AggregatingMergeTree}}
ORDER BY (project_id, prompt_name, prompt_label, prompt_version, environment)
SETTINGS {{dedup_window}};

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:promptline_label_history}} {{on_cluster}} AS {{local:promptline_label_history}}
ENGINE = {{distributed:promptline_label_history:rand()}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_label_history_mv}} {{on_cluster}}
TO {{local:promptline_label_history}} AS
SELECT project_id, prompt_name, prompt_label, prompt_version, environment,
    count() AS requests, min(g.timestamp) AS first_seen, max(g.timestamp) AS last_seen
FROM {{local:promptline_generations}} AS g
WHERE prompt_version > 0 AND prompt_label != ''
GROUP BY project_id, prompt_name, prompt_label, prompt_version, environment;
