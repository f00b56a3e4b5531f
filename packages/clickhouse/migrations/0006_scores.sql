-- Scores: gen_ai.evaluation.result log records in otel_logs, parented to the evaluated span.
--
-- Resolution to a prompt version happens at insert, by key-value lookup, never by a table join:
--   promptline_span_index (EmbeddedRocksDB, key project‖trace‖span) is filled from linked
--   generations; the score view looks each score's span up there (direct join = point lookups).
--   A score that arrives before its span (in-process scores often do: logs and spans are batched
--   separately) is stored unresolved (prompt_version = 0) and resolved at query time by the same
--   point lookup (the query layer unions it in), so it counts once either way.
-- Idempotency: promptline_score_ids (EmbeddedRocksDB, key score id) remembers every accepted score
-- id; a score whose id was already accepted is dropped, as is a repeat inside one batch. Records
-- without promptline.score.id get a content hash as id.
-- Cluster: an EmbeddedRocksDB table is per node and a view only fires on the replica that received
-- the insert, so there the span index is a table replicated to EVERY node (promptline_span_index_local,
-- path without {shard}; fed on the receiving replica, copied to all) and promptline_span_index is a
-- dictionary over the node's own copy (direct layout: point lookups, usable with join_algorithm =
-- 'direct' like the RocksDB table). Readers and the score view use that name on any node. Insert
-- deduplication is off for the replicated index: shards receive parts of one batch under the same
-- token, which would make their index blocks look like duplicates of each other; ReplacingMergeTree
-- collapses real repeats. promptline_score_ids stays per node (EmbeddedRocksDB).

-- @single
CREATE TABLE IF NOT EXISTS {{local:promptline_span_index}} {{on_cluster}} (
    span_key       String,
    timestamp      DateTime64(9, 'UTC'),
    prompt_name    String,
    prompt_version UInt32,
    prompt_label   String,
    environment    String,
    model          String
)
ENGINE = EmbeddedRocksDB({{ttl_seconds}})
PRIMARY KEY span_key;

-- @cluster
CREATE TABLE IF NOT EXISTS {{local:promptline_span_index}} {{on_cluster}} (
    span_key       String,
    timestamp      DateTime64(9, 'UTC'),
    prompt_name    String,
    prompt_version UInt32,
    prompt_label   String,
    environment    String,
    model          String
)
ENGINE = {{engine_all_nodes:ReplacingMergeTree}}
ORDER BY span_key
{{ttl:toDateTime(timestamp)}}
SETTINGS replicated_deduplication_window = 0;

-- @cluster
CREATE DICTIONARY IF NOT EXISTS {{table:promptline_span_index}} {{on_cluster}} (
    span_key       String,
    timestamp      DateTime64(9, 'UTC'),
    prompt_name    String,
    prompt_version UInt32,
    prompt_label   String,
    environment    String,
    model          String
)
PRIMARY KEY span_key
SOURCE(CLICKHOUSE(DB {{db_literal}} TABLE {{local_literal:promptline_span_index}}))
LAYOUT(COMPLEX_KEY_DIRECT());

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_span_index_mv}} {{on_cluster}}
TO {{local:promptline_span_index}} AS
SELECT
    concat(project_id, ':', trace_id, span_id) AS span_key,
    timestamp, toString(prompt_name) AS prompt_name, prompt_version, toString(prompt_label) AS prompt_label,
    toString(environment) AS environment, toString(model) AS model
FROM {{local:promptline_generations}}
WHERE prompt_version > 0;

CREATE TABLE IF NOT EXISTS {{local:promptline_score_ids}} {{on_cluster}} (
    score_id  String,
    timestamp DateTime64(9, 'UTC')
)
ENGINE = EmbeddedRocksDB({{ttl_seconds}})
PRIMARY KEY score_id;

CREATE TABLE IF NOT EXISTS {{local:promptline_scores}} {{on_cluster}} (
    timestamp       DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
    generation_time DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
    project_id      LowCardinality(String),
    prompt_name     LowCardinality(String),
    prompt_version  UInt32,
    prompt_label    LowCardinality(String),
    environment     LowCardinality(String),
    model           LowCardinality(String),
    score_name      LowCardinality(String),
    data_type       LowCardinality(String),
    value           Nullable(Float64),
    label           String,
    source          LowCardinality(String),
    comment         String CODEC(ZSTD(1)),
    score_id        String,
    trace_id        String,
    span_id         String,
    span_key        String
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, prompt_name, prompt_version, score_name, timestamp)
{{ttl:toDateTime(timestamp)}}
SETTINGS {{dedup_window}};

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:promptline_scores}} {{on_cluster}} AS {{local:promptline_scores}}
ENGINE = {{distributed:promptline_scores:cityHash64(trace_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_scores_mv}} {{on_cluster}}
TO {{local:promptline_scores}} AS
SELECT
    l.timestamp AS timestamp,
    s.timestamp AS generation_time,
    l.project_id AS project_id,
    s.prompt_name AS prompt_name,
    s.prompt_version AS prompt_version,
    s.prompt_label AS prompt_label,
    if(s.prompt_version > 0, s.environment, l.environment) AS environment,
    s.model AS model,
    l.score_name AS score_name,
    l.data_type AS data_type,
    l.value AS value,
    l.label AS label,
    l.source AS source,
    l.comment AS comment,
    l.score_id AS score_id,
    l.trace_id AS trace_id,
    l.span_id AS span_id,
    l.span_key AS span_key
FROM (
    SELECT
        Timestamp AS timestamp,
        ResourceAttributes[{{key:RESOURCE.PROJECT_ID}}] AS project_id,
        if(ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT}}] != '',
            ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT}}],
            ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT_LEGACY}}]) AS environment,
        LogAttributes[{{key:EVALUATION.NAME}}] AS score_name,
        toFloat64OrNull(LogAttributes[{{key:EVALUATION.SCORE_VALUE}}]) AS value,
        LogAttributes[{{key:EVALUATION.SCORE_LABEL}}] AS label,
        multiIf(LogAttributes[{{key:EVALUATION.DATA_TYPE}}] != '', LogAttributes[{{key:EVALUATION.DATA_TYPE}}],
            value IS NOT NULL, 'numeric', 'categorical') AS data_type,
        LogAttributes[{{key:EVALUATION.SOURCE}}] AS source,
        LogAttributes[{{key:EVALUATION.EXPLANATION}}] AS comment,
        if(LogAttributes[{{key:EVALUATION.ID}}] != '', LogAttributes[{{key:EVALUATION.ID}}],
            lower(hex(sipHash128(TraceId, SpanId, score_name, LogAttributes[{{key:EVALUATION.SCORE_VALUE}}], label, toString(Timestamp))))) AS score_id,
        TraceId AS trace_id,
        SpanId AS span_id,
        concat(project_id, ':', TraceId, SpanId) AS span_key
    FROM {{local:otel_logs}}
    WHERE (EventName = {{key:EVALUATION_EVENT_NAME}} OR LogAttributes[{{key:EVENT_NAME_ATTRIBUTE}}] = {{key:EVALUATION_EVENT_NAME}})
        AND score_name != ''
    LIMIT 1 BY score_id
) AS l
LEFT ANY JOIN {{local:promptline_score_ids}} AS d ON d.score_id = l.score_id
LEFT ANY JOIN {{table:promptline_span_index}} AS s ON s.span_key = l.span_key
WHERE d.score_id = ''
SETTINGS join_algorithm = 'direct';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_score_ids_mv}} {{on_cluster}}
TO {{local:promptline_score_ids}} AS
SELECT score_id, timestamp FROM {{local:promptline_scores}};
