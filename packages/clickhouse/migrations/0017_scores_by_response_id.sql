-- Scores linked by gen_ai.response.id. The GenAI evaluation event "SHOULD be parented to the GenAI
-- operation span … or set gen_ai.response.id when span id is not available": feedback from another
-- service often knows only the provider's response id. Such a score is linked to the generation whose
-- gen_ai.response.id matches, in the score's project, early or late, once (decision 0032):
--   - promptline_response_index (EmbeddedRocksDB; on a cluster a table replicated to every node read
--     through a direct dictionary, like the span index) maps length(project) ':' project response id to
--     the generation's span key; it is filled from linked generations (already one row per span, 0015).
--   - When two generations of a project share a response id, the first one stored keeps it (single
--     node: the index view skips response ids already indexed; on a cluster the replicated table keeps
--     one row per id after merges, and which one is not specified).
--   - The score view looks the response id up first, then the span: a score record carrying a response
--     id that matches a generation is linked to it, whatever span it is parented to; otherwise to its
--     own span, as before. A score whose generation is not there yet is stored unresolved (with its
--     response_id) and resolved by the query layer at read time by the same two lookups.
--   - Scores without promptline.score.id get a content hash as id; the response id is part of it when
--     present (ids of scores without one are unchanged).
--
-- Run with ingestion stopped (the collector migrates before it accepts data): score records written
-- between the drop and the create of the score view reach otel_logs but not promptline_scores.
-- Re-runnable.

ALTER TABLE {{local:promptline_scores}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS response_id String DEFAULT '' CODEC(ZSTD(1));

-- @cluster
ALTER TABLE {{table:promptline_scores}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS response_id String DEFAULT '';

-- @single
CREATE TABLE IF NOT EXISTS {{local:promptline_response_index}} {{on_cluster}} (
    response_key String,
    span_key     String,
    timestamp    DateTime64(9, 'UTC')
)
ENGINE = EmbeddedRocksDB({{ttl_seconds}})
PRIMARY KEY response_key;

-- @cluster
CREATE TABLE IF NOT EXISTS {{local:promptline_response_index}} {{on_cluster}} (
    response_key String,
    span_key     String,
    timestamp    DateTime64(9, 'UTC')
)
ENGINE = {{engine_all_nodes:ReplacingMergeTree}}
ORDER BY response_key
{{ttl:toDateTime(timestamp)}}
SETTINGS replicated_deduplication_window = 0;

-- @cluster
CREATE DICTIONARY IF NOT EXISTS {{table:promptline_response_index}} {{on_cluster}} (
    response_key String,
    span_key     String,
    timestamp    DateTime64(9, 'UTC')
)
PRIMARY KEY response_key
SOURCE(CLICKHOUSE(DB {{db_literal}} TABLE {{local_literal:promptline_response_index}}))
LAYOUT(COMPLEX_KEY_DIRECT());

INSERT INTO {{local:promptline_response_index}} (response_key, span_key, timestamp)
SELECT
    concat(toString(length(project_id)), ':', toString(project_id), response_id) AS response_key,
    argMin(concat(toString(project_id), ':', trace_id, span_id), g.timestamp) AS span_key,
    min(g.timestamp) AS timestamp
FROM {{table:promptline_generations}} AS g
WHERE response_id != '' AND prompt_version > 0
GROUP BY response_key;

-- @single
CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_response_index_mv}} {{on_cluster}}
TO {{local:promptline_response_index}} AS
SELECT n.response_key AS response_key, n.span_key AS span_key, n.timestamp AS timestamp
FROM (
    SELECT
        concat(toString(length(project_id)), ':', toString(project_id), response_id) AS response_key,
        concat(toString(project_id), ':', trace_id, span_id) AS span_key,
        timestamp
    FROM {{local:promptline_generations}}
    WHERE response_id != '' AND prompt_version > 0
    LIMIT 1 BY response_key
) AS n
LEFT ANY JOIN {{local:promptline_response_index}} AS r ON r.response_key = n.response_key
WHERE r.response_key = ''
SETTINGS join_algorithm = 'direct';

-- @cluster
CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_response_index_mv}} {{on_cluster}}
TO {{local:promptline_response_index}} AS
SELECT
    concat(toString(length(project_id)), ':', toString(project_id), response_id) AS response_key,
    concat(toString(project_id), ':', trace_id, span_id) AS span_key,
    timestamp
FROM {{local:promptline_generations}}
WHERE response_id != '' AND prompt_version > 0
LIMIT 1 BY response_key;

DROP VIEW IF EXISTS {{local:promptline_scores_mv}} {{on_cluster}} SYNC;

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
    if(r.span_key != '', r.span_key, l.span_key) AS span_key,
    l.response_id AS response_id
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
        LogAttributes[{{key:GEN_AI.RESPONSE_ID}}] AS response_id,
        multiIf(LogAttributes[{{key:EVALUATION.ID}}] != '', LogAttributes[{{key:EVALUATION.ID}}],
            response_id = '', lower(hex(sipHash128(TraceId, SpanId, score_name, LogAttributes[{{key:EVALUATION.SCORE_VALUE}}], label, toString(Timestamp)))),
            lower(hex(sipHash128(TraceId, SpanId, score_name, LogAttributes[{{key:EVALUATION.SCORE_VALUE}}], label, toString(Timestamp), response_id)))) AS score_id,
        TraceId AS trace_id,
        SpanId AS span_id,
        concat(project_id, ':', TraceId, SpanId) AS span_key,
        concat(toString(length(project_id)), ':', project_id, score_id) AS score_key,
        if(response_id = '', '', concat(toString(length(project_id)), ':', project_id, response_id)) AS response_key
    FROM {{local:otel_logs}}
    WHERE (EventName = {{key:EVALUATION_EVENT_NAME}} OR LogAttributes[{{key:EVENT_NAME_ATTRIBUTE}}] = {{key:EVALUATION_EVENT_NAME}})
        AND score_name != ''
    LIMIT 1 BY score_key
) AS l
LEFT ANY JOIN {{local:promptline_score_ids}} AS d ON d.score_key = l.score_key
LEFT ANY JOIN {{table:promptline_response_index}} AS r ON r.response_key = l.response_key
LEFT ANY JOIN {{table:promptline_span_index}} AS s ON s.span_key = if(r.span_key != '', r.span_key, l.span_key)
WHERE d.score_key = ''
SETTINGS join_algorithm = 'direct';
