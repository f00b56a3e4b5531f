-- Score ids per project. 0006 kept the accepted score ids (promptline_score_ids) keyed by the id
-- alone, so a score of project A with promptline.score.id = X dropped project B's score with the same
-- id as a repeat. The set is now keyed by (project, score id): score_key = length(project) ':' project
-- score_id (the length makes the pair unambiguous whatever either part contains). The score view is
-- recreated to look ids up, and to drop repeats within one insert, by that key; everything else in it
-- is 0006's view unchanged.
--
-- An EmbeddedRocksDB key cannot be altered: the table is dropped and created again under the same
-- name, then filled from promptline_scores, which holds every accepted score with its project, so ids
-- accepted before this migration stay remembered, each under its own project. On a cluster the set
-- stays per node (as in 0006); the fill runs on the node that runs the migration and reads every
-- shard's scores (the Distributed table), so that node remembers all of them and the other nodes
-- start empty (a retried score that reaches another node can count twice, as a cross-node retry
-- already could). CREATE … ON CLUSTER … AS SELECT would fill each node, but it is unreliable on
-- clusters, so it is not used.
--
-- Run with ingestion stopped (the collector migrates before it accepts data): score records written
-- between the drop of the view and its creation reach otel_logs but not promptline_scores.
-- Re-runnable: a re-run drops the set again and refills it from promptline_scores.

DROP VIEW IF EXISTS {{local:promptline_scores_mv}} {{on_cluster}} SYNC;

DROP VIEW IF EXISTS {{local:promptline_score_ids_mv}} {{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{local:promptline_score_ids}} {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS {{local:promptline_score_ids}} {{on_cluster}} (
    score_key  String,
    project_id String,
    score_id   String,
    timestamp  DateTime64(9, 'UTC')
)
ENGINE = EmbeddedRocksDB({{ttl_seconds}})
PRIMARY KEY score_key;

INSERT INTO {{local:promptline_score_ids}} (score_key, project_id, score_id, timestamp)
SELECT
    concat(toString(length(project_id)), ':', project_id, score_id) AS score_key,
    toString(project_id) AS project_id,
    score_id,
    timestamp
FROM {{table:promptline_scores}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_score_ids_mv}} {{on_cluster}}
TO {{local:promptline_score_ids}} AS
SELECT
    concat(toString(length(project_id)), ':', project_id, score_id) AS score_key,
    toString(project_id) AS project_id,
    score_id,
    timestamp
FROM {{local:promptline_scores}};

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
        concat(project_id, ':', TraceId, SpanId) AS span_key,
        concat(toString(length(project_id)), ':', project_id, score_id) AS score_key
    FROM {{local:otel_logs}}
    WHERE (EventName = {{key:EVALUATION_EVENT_NAME}} OR LogAttributes[{{key:EVENT_NAME_ATTRIBUTE}}] = {{key:EVALUATION_EVENT_NAME}})
        AND score_name != ''
    LIMIT 1 BY score_key
) AS l
LEFT ANY JOIN {{local:promptline_score_ids}} AS d ON d.score_key = l.score_key
LEFT ANY JOIN {{table:promptline_span_index}} AS s ON s.span_key = l.span_key
WHERE d.score_key = ''
SETTINGS join_algorithm = 'direct';
