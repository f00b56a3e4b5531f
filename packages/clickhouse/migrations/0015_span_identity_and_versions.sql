-- Span identity, prompt versions as the GenAI conventions send them, and response ids.
--
-- A span is identified by (project, trace id, span id). OTLP delivery is at-least-once (exporter
-- retries, an upstream collector replaying its queue, an app flushing twice), so a span may reach
-- otel_traces several times, in one request or in different ones, days apart. otel_traces keeps what
-- arrived (the exporter's schema, raw copies included); the generations view passes each span once:
--   - within one insert block, the first copy of a span (LIMIT 1 BY its identity);
--   - across inserts, only spans not yet in promptline_span_ids, an EmbeddedRocksDB set of the
--     identities of every stored generation (sipHash128 of project, trace id, span id), fed by a view
--     on promptline_generations and looked up by key (direct join). Every table built from
--     generations (span index, per-version aggregates, label history, unlinked counts, comparisons)
--     therefore sees each span once.
--   - A batch retried with its deduplication token after an insert that failed half-way may find its
--     own spans in the set (RocksDB writes are not undone when an insert fails): a span whose set entry
--     carries the same token (`batch`, cityHash64 of it) passes again, and the token-deduplicated
--     tables drop whatever that batch already wrote. Inserts without a token record batch 0.
--   - A copy with different content (same ids) is dropped like any copy: the first stored wins.
--   - The set keeps an identity for ttlDays after it was written (forever with ttlDays 0), at least as
--     long as the generation it stands for.
-- Cluster: the set is per node, like promptline_score_ids; every copy of a span reaches the same
-- shard (otel_traces is sharded by cityHash64(TraceId)), and copies that reach the same replica count
-- once (decision 0030).
--
-- Prompt versions (decision 0031): the standard gen_ai.prompt.version (a string) is read with
-- gen_ai.prompt.name; promptline.prompt.version wins when both are set. A whole-number version 1 …
-- 2^31 − 1 (`3`, `v3`) is stored as that number; any other text (`2.1.0`, `2.2.0-rc1`) is a named
-- version, stored under 2^31 + xxHash32(text) mod 2^31 with its text in prompt_version_name
-- (src/schema/promptVersion.ts). A generation with a prompt name and a content hash or template but
-- no version gets the implicit version '#' + 8 hex digits. A generation that is not linked keeps
-- prompt_version 0 and says why in unlinked_reason: fallback, no_prompt_name, no_version,
-- unparsable_version (0, longer than 128 characters, control characters).
--
-- Run with ingestion stopped (the collector migrates before it accepts data): spans written between
-- the drop and the create of the view reach otel_traces but not promptline_generations. Re-runnable.
-- The set is filled from the generations stored so far (on a cluster: the migrating node's own);
-- their copies stored before this migration stay.

ALTER TABLE {{local:promptline_generations}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS prompt_version_name LowCardinality(String)
        DEFAULT if(prompt_version = 0, '', toString(prompt_version)) AFTER prompt_version,
    ADD COLUMN IF NOT EXISTS unlinked_reason LowCardinality(String)
        DEFAULT multiIf(prompt_version > 0, '', prompt_fallback = 1, 'fallback', prompt_name = '', 'no_prompt_name', 'no_version')
        AFTER prompt_fallback,
    ADD COLUMN IF NOT EXISTS response_id String DEFAULT '' CODEC(ZSTD(1)) AFTER experiment_arm;

-- @cluster
ALTER TABLE {{table:promptline_generations}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS prompt_version_name LowCardinality(String)
        DEFAULT if(prompt_version = 0, '', toString(prompt_version)) AFTER prompt_version,
    ADD COLUMN IF NOT EXISTS unlinked_reason LowCardinality(String)
        DEFAULT multiIf(prompt_version > 0, '', prompt_fallback = 1, 'fallback', prompt_name = '', 'no_prompt_name', 'no_version')
        AFTER prompt_fallback,
    ADD COLUMN IF NOT EXISTS response_id String DEFAULT '' AFTER experiment_arm;

CREATE TABLE IF NOT EXISTS {{local:promptline_span_ids}} {{on_cluster}} (
    span_hash FixedString(16),
    batch     UInt64,
    seen      UInt8
)
ENGINE = EmbeddedRocksDB({{ttl_seconds}})
PRIMARY KEY span_hash;

INSERT INTO {{local:promptline_span_ids}} (span_hash, batch, seen)
SELECT {{span_identity:timestamp,toString(project_id),trace_id,span_id}}, toUInt64(0), toUInt8(1)
FROM {{local:promptline_generations}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_span_ids_mv}} {{on_cluster}}
TO {{local:promptline_span_ids}} AS
SELECT {{span_identity:timestamp,toString(project_id),trace_id,span_id}} AS span_hash, {{insert_batch}} AS batch, toUInt8(1) AS seen
FROM {{local:promptline_generations}};

DROP VIEW IF EXISTS {{local:promptline_generations_mv}} {{on_cluster}} SYNC;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:promptline_generations_mv}} {{on_cluster}}
TO {{local:promptline_generations}} AS
WITH (
    SELECT groupArray((model_pattern, usage_type, effective_from, min_input_tokens, usd_per_million))
    FROM (
        SELECT model_pattern, usage_type, effective_from, min_input_tokens, usd_per_million
        FROM {{local:promptline_model_prices}} FINAL
        ORDER BY effective_from DESC, min_input_tokens DESC, length(model_pattern) DESC
    )
) AS prices
SELECT
    g.timestamp AS timestamp, g.project_id AS project_id, g.service_name AS service_name,
    g.environment AS environment, g.prompt_name AS prompt_name, g.version.1 AS prompt_version,
    g.version.2 AS prompt_version_name, g.prompt_label AS prompt_label,
    g.prompt_hash AS prompt_hash, g.prompt_source AS prompt_source, g.prompt_fallback AS prompt_fallback,
    g.version.3 AS unlinked_reason, g.model AS model, g.provider AS provider,
    g.input_tokens AS input_tokens, g.output_tokens AS output_tokens,
    g.cache_read_tokens AS cache_read_tokens, g.cache_write_tokens AS cache_write_tokens,
    g.reasoning_tokens AS reasoning_tokens, g.cost_usd AS cost_usd, g.input_cost_usd AS input_cost_usd,
    g.output_cost_usd AS output_cost_usd, g.cost_source AS cost_source, g.latency_ms AS latency_ms,
    g.ttft_ms AS ttft_ms, g.is_error AS is_error, g.error_type AS error_type,
    g.validation_passed AS validation_passed, g.experiment_name AS experiment_name,
    g.experiment_arm AS experiment_arm, g.response_id AS response_id, g.trace_id AS trace_id,
    g.span_id AS span_id
FROM (
    SELECT
        timestamp, project_id, service_name, environment,
        prompt_name,
        -- (stored number, name, reason not linked) of the version: see the comment above. One
        -- expression with its inputs bound once (arrayMap over one-element arrays): repeating the
        -- version text's expression in every branch made planning the view several times slower.
        arrayMap((t, hash, template, fallback, name) -> arrayMap((n, implicit) ->
            multiIf(
                fallback = 1, (toUInt32(0), '', 'fallback'),
                name = '', (toUInt32(0), '', 'no_prompt_name'),
                t = '' AND implicit = '', (toUInt32(0), '', 'no_version'),
                t = '', ({{version_id:implicit}}, implicit, ''),
                n BETWEEN 1 AND {{version_max}}, (toUInt32(n), toString(n), ''),
                {{version_text_ok:t}} AND NOT match(t, '^[vV]?0{1,10}$'), ({{version_id:t}}, t, ''),
                (toUInt32(0), '', 'unparsable_version')),
            [{{version_int:t}}],
            -- No version but a content hash or a template: the implicit version '#' + 8 hex digits
            -- of the hash (of the template's sipHash64 when there is no hex hash).
            [if(t = '' AND (hash != '' OR template != ''),
                concat('#', substring(if(match(hash, '^[0-9a-f]{8}'), hash,
                    lower(hex(sipHash64(if(hash != '', hash, template))))), 1, 8)),
                '')])[1],
            [version_text], [prompt_hash], [prompt_template], [prompt_fallback], [prompt_name])[1] AS version,
        prompt_label, prompt_hash, prompt_source, prompt_fallback, model, provider,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
        if(span_cost_known, span_cost, priced_input + priced_output) AS cost_usd,
        if(span_cost_known, span_input_cost, priced_input) AS input_cost_usd,
        if(span_cost_known, span_output_cost, priced_output) AS output_cost_usd,
        multiIf(span_cost_known, 'span', length(price_idx) > 0, 'price_table', 'none') AS cost_source,
        latency_ms, ttft_ms, is_error, error_type, validation_passed, experiment_name, experiment_arm,
        response_id, trace_id, span_id, span_hash
    FROM (
        SELECT
            Timestamp AS timestamp,
            ResourceAttributes[{{key:RESOURCE.PROJECT_ID}}] AS project_id,
            ServiceName AS service_name,
            multiIf(
                ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT}}] != '', ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT}}],
                ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT_LEGACY}}] != '', ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT_LEGACY}}],
                SpanAttributes[{{key:LANGFUSE.ENVIRONMENT}}]) AS environment,
            SpanAttributes[{{key:VERCEL_AI.METADATA_LANGFUSE_PROMPT}}] AS vercel_lf_prompt,
            multiIf(
                SpanAttributes[{{key:GEN_AI.PROMPT_NAME}}] != '', 'promptline',
                SpanAttributes[{{key:LANGFUSE.PROMPT_NAME}}] != '', 'langfuse',
                SpanAttributes[{{key:TRACELOOP.PROMPT_KEY}}] != '', 'traceloop',
                SpanAttributes[{{key:OPENINFERENCE.PROMPT_ID}}] != '' OR SpanAttributes[{{key:OPENINFERENCE.PROMPT_TEMPLATE}}] != '', 'openinference',
                JSONExtractString(vercel_lf_prompt, 'name') != '' OR SpanAttributes[{{key:VERCEL_AI.METADATA_PROMPT_NAME}}] != '', 'vercel',
                '') AS prompt_source,
            multiIf(
                prompt_source = 'promptline', SpanAttributes[{{key:GEN_AI.PROMPT_NAME}}],
                prompt_source = 'langfuse', SpanAttributes[{{key:LANGFUSE.PROMPT_NAME}}],
                prompt_source = 'traceloop', SpanAttributes[{{key:TRACELOOP.PROMPT_KEY}}],
                prompt_source = 'openinference', if(SpanAttributes[{{key:OPENINFERENCE.PROMPT_ID}}] != '',
                    SpanAttributes[{{key:OPENINFERENCE.PROMPT_ID}}],
                    concat('template-', lower(hex(sipHash64(SpanAttributes[{{key:OPENINFERENCE.PROMPT_TEMPLATE}}]))))),
                prompt_source = 'vercel', if(JSONExtractString(vercel_lf_prompt, 'name') != '',
                    JSONExtractString(vercel_lf_prompt, 'name'), SpanAttributes[{{key:VERCEL_AI.METADATA_PROMPT_NAME}}]),
                '') AS prompt_name,
            -- The version as sent. Ours: promptline.prompt.version wins over the standard gen_ai.prompt.version.
            multiIf(
                prompt_source = 'promptline', if(SpanAttributes[{{key:PROMPTLINE.PROMPT_VERSION}}] != '',
                    SpanAttributes[{{key:PROMPTLINE.PROMPT_VERSION}}], SpanAttributes[{{key:GEN_AI.PROMPT_VERSION}}]),
                prompt_source = 'langfuse', SpanAttributes[{{key:LANGFUSE.PROMPT_VERSION}}],
                prompt_source = 'traceloop', SpanAttributes[{{key:TRACELOOP.PROMPT_VERSION}}],
                prompt_source = 'openinference', SpanAttributes[{{key:OPENINFERENCE.PROMPT_TEMPLATE_VERSION}}],
                prompt_source = 'vercel', if(JSONExtractString(vercel_lf_prompt, 'name') != '',
                    multiIf(JSONType(vercel_lf_prompt, 'version') = 'String', JSONExtractString(vercel_lf_prompt, 'version'),
                        JSONType(vercel_lf_prompt, 'version') IN ('Int64', 'UInt64'), JSONExtractRaw(vercel_lf_prompt, 'version'),
                        ''),
                    SpanAttributes[{{key:VERCEL_AI.METADATA_PROMPT_VERSION}}]),
                '') AS version_sent,
            {{version_trim:version_sent}} AS version_text,
            if(prompt_source = 'promptline', SpanAttributes[{{key:PROMPTLINE.PROMPT_LABEL}}], '') AS prompt_label,
            multiIf(
                prompt_source = 'promptline', SpanAttributes[{{key:PROMPTLINE.PROMPT_HASH}}],
                prompt_source = 'traceloop', SpanAttributes[{{key:TRACELOOP.PROMPT_VERSION_HASH}}],
                '') AS prompt_hash,
            if(SpanAttributes[{{key:OPENINFERENCE.PROMPT_TEMPLATE}}] != '', SpanAttributes[{{key:OPENINFERENCE.PROMPT_TEMPLATE}}],
                SpanAttributes[{{key:TRACELOOP.PROMPT_TEMPLATE}}]) AS prompt_template,
            toUInt8(SpanAttributes[{{key:PROMPTLINE.PROMPT_FALLBACK}}] = 'true'
                OR (prompt_source = 'vercel' AND JSONExtractBool(vercel_lf_prompt, 'isFallback'))) AS prompt_fallback,
            multiIf(
                SpanAttributes[{{key:GEN_AI.RESPONSE_MODEL}}] != '', SpanAttributes[{{key:GEN_AI.RESPONSE_MODEL}}],
                SpanAttributes[{{key:GEN_AI.REQUEST_MODEL}}] != '', SpanAttributes[{{key:GEN_AI.REQUEST_MODEL}}],
                SpanAttributes[{{key:LANGFUSE.MODEL_NAME}}] != '', SpanAttributes[{{key:LANGFUSE.MODEL_NAME}}],
                SpanAttributes[{{key:OPENINFERENCE.MODEL_NAME}}] != '', SpanAttributes[{{key:OPENINFERENCE.MODEL_NAME}}],
                SpanAttributes[{{key:VERCEL_AI.MODEL_ID}}]) AS model,
            multiIf(
                SpanAttributes[{{key:GEN_AI.PROVIDER_NAME}}] != '', SpanAttributes[{{key:GEN_AI.PROVIDER_NAME}}],
                SpanAttributes[{{key:GEN_AI.SYSTEM}}] != '', SpanAttributes[{{key:GEN_AI.SYSTEM}}],
                SpanAttributes[{{key:OPENINFERENCE.PROVIDER}}] != '', SpanAttributes[{{key:OPENINFERENCE.PROVIDER}}],
                SpanAttributes[{{key:OPENINFERENCE.SYSTEM}}] != '', SpanAttributes[{{key:OPENINFERENCE.SYSTEM}}],
                splitByChar('.', SpanAttributes[{{key:VERCEL_AI.MODEL_PROVIDER}}])[1]) AS provider,
            SpanAttributes[{{key:LANGFUSE.USAGE_DETAILS}}] AS lf_usage,
            toUInt64(greatest(0, multiIf(
                SpanAttributes[{{key:GEN_AI.USAGE_INPUT_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:GEN_AI.USAGE_INPUT_TOKENS}}]),
                SpanAttributes[{{key:TRACELOOP.USAGE_PROMPT_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:TRACELOOP.USAGE_PROMPT_TOKENS}}]),
                SpanAttributes[{{key:OPENINFERENCE.TOKEN_COUNT_PROMPT}}] != '', toInt64OrZero(SpanAttributes[{{key:OPENINFERENCE.TOKEN_COUNT_PROMPT}}]),
                SpanAttributes[{{key:VERCEL_AI.USAGE_INPUT_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:VERCEL_AI.USAGE_INPUT_TOKENS}}]),
                SpanAttributes[{{key:VERCEL_AI.USAGE_PROMPT_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:VERCEL_AI.USAGE_PROMPT_TOKENS}}]),
                JSONExtractInt(lf_usage, 'input')))) AS input_tokens,
            toUInt64(greatest(0, multiIf(
                SpanAttributes[{{key:GEN_AI.USAGE_OUTPUT_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:GEN_AI.USAGE_OUTPUT_TOKENS}}]),
                SpanAttributes[{{key:TRACELOOP.USAGE_COMPLETION_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:TRACELOOP.USAGE_COMPLETION_TOKENS}}]),
                SpanAttributes[{{key:OPENINFERENCE.TOKEN_COUNT_COMPLETION}}] != '', toInt64OrZero(SpanAttributes[{{key:OPENINFERENCE.TOKEN_COUNT_COMPLETION}}]),
                SpanAttributes[{{key:VERCEL_AI.USAGE_OUTPUT_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:VERCEL_AI.USAGE_OUTPUT_TOKENS}}]),
                SpanAttributes[{{key:VERCEL_AI.USAGE_COMPLETION_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:VERCEL_AI.USAGE_COMPLETION_TOKENS}}]),
                JSONExtractInt(lf_usage, 'output')))) AS output_tokens,
            toUInt64(greatest(0, multiIf(
                SpanAttributes[{{key:GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS}}]),
                toInt64OrZero(SpanAttributes[{{key:OPENINFERENCE.TOKEN_COUNT_CACHE_READ}}])))) AS cache_read_tokens,
            toUInt64(greatest(0, toInt64OrZero(SpanAttributes[{{key:GEN_AI.USAGE_CACHE_WRITE_INPUT_TOKENS}}]))) AS cache_write_tokens,
            toUInt64(greatest(0, multiIf(
                SpanAttributes[{{key:GEN_AI.USAGE_REASONING_OUTPUT_TOKENS}}] != '', toInt64OrZero(SpanAttributes[{{key:GEN_AI.USAGE_REASONING_OUTPUT_TOKENS}}]),
                toInt64OrZero(SpanAttributes[{{key:OPENINFERENCE.TOKEN_COUNT_REASONING}}])))) AS reasoning_tokens,
            SpanAttributes[{{key:LANGFUSE.COST_DETAILS}}] AS lf_cost,
            SpanAttributes[{{key:PROMPTLINE.COST_USD}}] != '' OR JSONHas(lf_cost, 'total') AS span_cost_known,
            if(SpanAttributes[{{key:PROMPTLINE.COST_USD}}] != '', toFloat64OrZero(SpanAttributes[{{key:PROMPTLINE.COST_USD}}]),
                JSONExtractFloat(lf_cost, 'total')) AS span_cost,
            if(SpanAttributes[{{key:PROMPTLINE.COST_INPUT_USD}}] != '', toFloat64OrZero(SpanAttributes[{{key:PROMPTLINE.COST_INPUT_USD}}]),
                JSONExtractFloat(lf_cost, 'input')) AS span_input_cost,
            if(SpanAttributes[{{key:PROMPTLINE.COST_OUTPUT_USD}}] != '', toFloat64OrZero(SpanAttributes[{{key:PROMPTLINE.COST_OUTPUT_USD}}]),
                JSONExtractFloat(lf_cost, 'output')) AS span_output_cost,
            arrayFilter(i -> prices[i].3 <= Timestamp AND prices[i].4 <= input_tokens,
                if(model = '' OR span_cost_known, CAST([], 'Array(UInt64)'),
                    arraySort(multiMatchAllIndices(model, arrayMap(p -> p.1, prices))))) AS price_idx,
            arrayFirst(i -> prices[i].2 = 'input', price_idx) AS i_in,
            arrayFirst(i -> prices[i].2 = 'output', price_idx) AS i_out,
            arrayFirst(i -> prices[i].2 = 'cache_read', price_idx) AS i_cr,
            arrayFirst(i -> prices[i].2 = 'cache_write', price_idx) AS i_cw,
            arrayFirst(i -> prices[i].2 = 'reasoning', price_idx) AS i_rs,
            if(i_in = 0, 0., prices[i_in].5) AS p_in,
            if(i_out = 0, 0., prices[i_out].5) AS p_out,
            (toFloat64(input_tokens - least(input_tokens, cache_read_tokens + cache_write_tokens)) * p_in
                + toFloat64(cache_read_tokens) * if(i_cr = 0, p_in, prices[i_cr].5)
                + toFloat64(cache_write_tokens) * if(i_cw = 0, p_in, prices[i_cw].5)) / 1e6 AS priced_input,
            (toFloat64(output_tokens - least(output_tokens, reasoning_tokens)) * p_out
                + toFloat64(least(output_tokens, reasoning_tokens)) * if(i_rs = 0, p_out, prices[i_rs].5)) / 1e6 AS priced_output,
            Duration / 1e6 AS latency_ms,
            multiIf(
                SpanAttributes[{{key:GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK}}] != '',
                    toFloat64OrNull(SpanAttributes[{{key:GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK}}]) * 1000,
                SpanAttributes[{{key:VERCEL_AI.MS_TO_FIRST_CHUNK}}] != '',
                    toFloat64OrNull(SpanAttributes[{{key:VERCEL_AI.MS_TO_FIRST_CHUNK}}]),
                NULL) AS ttft_ms,
            toUInt8(StatusCode = 'Error' OR SpanAttributes[{{key:ERROR_TYPE}}] != '') AS is_error,
            if(is_error = 1, if(SpanAttributes[{{key:ERROR_TYPE}}] != '', SpanAttributes[{{key:ERROR_TYPE}}], '_OTHER'), '') AS error_type,
            multiIf(
                SpanAttributes[{{key:PROMPTLINE.VALIDATION_PASSED}}] = 'true', toNullable(toUInt8(1)),
                SpanAttributes[{{key:PROMPTLINE.VALIDATION_PASSED}}] = 'false', toNullable(toUInt8(0)),
                NULL) AS validation_passed,
            SpanAttributes[{{key:PROMPTLINE.EXPERIMENT_NAME}}] AS experiment_name,
            SpanAttributes[{{key:PROMPTLINE.EXPERIMENT_ARM}}] AS experiment_arm,
            SpanAttributes[{{key:GEN_AI.RESPONSE_ID}}] AS response_id,
            TraceId AS trace_id,
            SpanId AS span_id,
            {{span_identity:Timestamp,project_id,TraceId,SpanId}} AS span_hash
        FROM {{local:otel_traces}}
        WHERE SpanAttributes[{{key:GEN_AI.OPERATION_NAME}}] IN {{list:GEN_AI_GENERATION_OPERATIONS}}
            OR SpanAttributes[{{key:PROMPTLINE.OBSERVATION_TYPE}}] = 'generation'
            OR SpanAttributes[{{key:LANGFUSE.OBSERVATION_TYPE}}] = 'generation'
            OR SpanAttributes[{{key:OPENINFERENCE.SPAN_KIND}}] = 'LLM'
            OR SpanAttributes[{{key:TRACELOOP.REQUEST_TYPE}}] IN ('chat', 'completion')
            OR match(SpanName, '^ai\\.[A-Za-z]+\\.do(Generate|Stream)$')
    )
    LIMIT 1 BY span_hash
) AS g
LEFT ANY JOIN {{local:promptline_span_ids}} AS d ON d.span_hash = g.span_hash
WHERE d.seen = 0 OR (d.batch != 0 AND d.batch = {{insert_batch}})
SETTINGS join_algorithm = 'direct';
