-- The generations view skips the identity lookup for an insert whose sender vouches its spans are new.
--
-- The dedupe of 0015 looks every generation span up in promptline_span_ids: one key read through the
-- engine's key-value path per span (~2 µs, most of the dedupe's cost, bench/RESULTS.md), although
-- nearly every span a collector inserts was never stored before. An insert whose log_comment is
-- 'promptline:new-spans' (src/schema/spanIdentity.ts) promises that no span of it is stored yet and
-- that none appears twice in it; the collector on the embedded engine makes that promise when it can
-- tell (it sees every write of its data directory, and tracks the identities it inserted: decision
-- 0035). Such an insert's spans pass without the lookup and without LIMIT 1 BY; every other insert
-- (a ClickHouse server's writers, a replayed WAL segment, a batch with a possible copy) is deduped as
-- before. Both paths feed the same expressions, so a span's row does not depend on the path
-- (packages/clickhouse/test/generationsView.test.ts compares them with 0019's rows); identities are
-- written to the set either way (promptline_span_ids_mv, unchanged).
--
-- The dedupe now sits in the innermost layer, on the raw spans (a UNION ALL of the two paths, each
-- reading the inserted block; the one the insert does not take filters out every row before any
-- work), so the view's expressions are planned once per insert.
--
-- Run with ingestion stopped (the collector migrates before it accepts data): spans written between
-- the drop and the create of the view reach otel_traces but not promptline_generations. Re-runnable.

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
        response_id, trace_id, span_id
    FROM (
        SELECT
            Timestamp AS timestamp,
            ResourceAttributes[{{key:RESOURCE.PROJECT_ID}}] AS project_id,
            ServiceName AS service_name,
            multiIf(
                ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT}}] != '', ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT}}],
                ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT_LEGACY}}] != '', ResourceAttributes[{{key:RESOURCE.DEPLOYMENT_ENVIRONMENT_LEGACY}}],
                attrs[{{key:LANGFUSE.ENVIRONMENT}}]) AS environment,
            attrs[{{key:VERCEL_AI.METADATA_LANGFUSE_PROMPT}}] AS vercel_lf_prompt,
            multiIf(
                attrs[{{key:GEN_AI.PROMPT_NAME}}] != '', 'promptline',
                attrs[{{key:LANGFUSE.PROMPT_NAME}}] != '', 'langfuse',
                attrs[{{key:TRACELOOP.PROMPT_KEY}}] != '', 'traceloop',
                attrs[{{key:OPENINFERENCE.PROMPT_ID}}] != '' OR attrs[{{key:OPENINFERENCE.PROMPT_TEMPLATE}}] != '', 'openinference',
                JSONExtractString(vercel_lf_prompt, 'name') != '' OR attrs[{{key:VERCEL_AI.METADATA_PROMPT_NAME}}] != '', 'vercel',
                '') AS prompt_source,
            multiIf(
                prompt_source = 'promptline', attrs[{{key:GEN_AI.PROMPT_NAME}}],
                prompt_source = 'langfuse', attrs[{{key:LANGFUSE.PROMPT_NAME}}],
                prompt_source = 'traceloop', attrs[{{key:TRACELOOP.PROMPT_KEY}}],
                prompt_source = 'openinference', if(attrs[{{key:OPENINFERENCE.PROMPT_ID}}] != '',
                    attrs[{{key:OPENINFERENCE.PROMPT_ID}}],
                    concat('template-', lower(hex(sipHash64(attrs[{{key:OPENINFERENCE.PROMPT_TEMPLATE}}]))))),
                prompt_source = 'vercel', if(JSONExtractString(vercel_lf_prompt, 'name') != '',
                    JSONExtractString(vercel_lf_prompt, 'name'), attrs[{{key:VERCEL_AI.METADATA_PROMPT_NAME}}]),
                '') AS prompt_name,
            -- The version as sent. Ours: promptline.prompt.version wins over the standard gen_ai.prompt.version.
            multiIf(
                prompt_source = 'promptline', if(attrs[{{key:PROMPTLINE.PROMPT_VERSION}}] != '',
                    attrs[{{key:PROMPTLINE.PROMPT_VERSION}}], attrs[{{key:GEN_AI.PROMPT_VERSION}}]),
                prompt_source = 'langfuse', attrs[{{key:LANGFUSE.PROMPT_VERSION}}],
                prompt_source = 'traceloop', attrs[{{key:TRACELOOP.PROMPT_VERSION}}],
                prompt_source = 'openinference', attrs[{{key:OPENINFERENCE.PROMPT_TEMPLATE_VERSION}}],
                prompt_source = 'vercel', if(JSONExtractString(vercel_lf_prompt, 'name') != '',
                    multiIf(JSONType(vercel_lf_prompt, 'version') = 'String', JSONExtractString(vercel_lf_prompt, 'version'),
                        JSONType(vercel_lf_prompt, 'version') IN ('Int64', 'UInt64'), JSONExtractRaw(vercel_lf_prompt, 'version'),
                        ''),
                    attrs[{{key:VERCEL_AI.METADATA_PROMPT_VERSION}}]),
                '') AS version_sent,
            {{version_trim:version_sent}} AS version_text,
            if(prompt_source = 'promptline', attrs[{{key:PROMPTLINE.PROMPT_LABEL}}], '') AS prompt_label,
            multiIf(
                prompt_source = 'promptline', attrs[{{key:PROMPTLINE.PROMPT_HASH}}],
                prompt_source = 'traceloop', attrs[{{key:TRACELOOP.PROMPT_VERSION_HASH}}],
                '') AS prompt_hash,
            if(attrs[{{key:OPENINFERENCE.PROMPT_TEMPLATE}}] != '', attrs[{{key:OPENINFERENCE.PROMPT_TEMPLATE}}],
                attrs[{{key:TRACELOOP.PROMPT_TEMPLATE}}]) AS prompt_template,
            toUInt8(attrs[{{key:PROMPTLINE.PROMPT_FALLBACK}}] = 'true'
                OR (prompt_source = 'vercel' AND JSONExtractBool(vercel_lf_prompt, 'isFallback'))) AS prompt_fallback,
            multiIf(
                attrs[{{key:GEN_AI.RESPONSE_MODEL}}] != '', attrs[{{key:GEN_AI.RESPONSE_MODEL}}],
                attrs[{{key:GEN_AI.REQUEST_MODEL}}] != '', attrs[{{key:GEN_AI.REQUEST_MODEL}}],
                attrs[{{key:LANGFUSE.MODEL_NAME}}] != '', attrs[{{key:LANGFUSE.MODEL_NAME}}],
                attrs[{{key:OPENINFERENCE.MODEL_NAME}}] != '', attrs[{{key:OPENINFERENCE.MODEL_NAME}}],
                attrs[{{key:VERCEL_AI.MODEL_ID}}]) AS model,
            multiIf(
                attrs[{{key:GEN_AI.PROVIDER_NAME}}] != '', attrs[{{key:GEN_AI.PROVIDER_NAME}}],
                attrs[{{key:GEN_AI.SYSTEM}}] != '', attrs[{{key:GEN_AI.SYSTEM}}],
                attrs[{{key:OPENINFERENCE.PROVIDER}}] != '', attrs[{{key:OPENINFERENCE.PROVIDER}}],
                attrs[{{key:OPENINFERENCE.SYSTEM}}] != '', attrs[{{key:OPENINFERENCE.SYSTEM}}],
                splitByChar('.', attrs[{{key:VERCEL_AI.MODEL_PROVIDER}}])[1]) AS provider,
            attrs[{{key:LANGFUSE.USAGE_DETAILS}}] AS lf_usage,
            toUInt64(greatest(0, multiIf(
                attrs[{{key:GEN_AI.USAGE_INPUT_TOKENS}}] != '', toInt64OrZero(attrs[{{key:GEN_AI.USAGE_INPUT_TOKENS}}]),
                attrs[{{key:TRACELOOP.USAGE_PROMPT_TOKENS}}] != '', toInt64OrZero(attrs[{{key:TRACELOOP.USAGE_PROMPT_TOKENS}}]),
                attrs[{{key:OPENINFERENCE.TOKEN_COUNT_PROMPT}}] != '', toInt64OrZero(attrs[{{key:OPENINFERENCE.TOKEN_COUNT_PROMPT}}]),
                attrs[{{key:VERCEL_AI.USAGE_INPUT_TOKENS}}] != '', toInt64OrZero(attrs[{{key:VERCEL_AI.USAGE_INPUT_TOKENS}}]),
                attrs[{{key:VERCEL_AI.USAGE_PROMPT_TOKENS}}] != '', toInt64OrZero(attrs[{{key:VERCEL_AI.USAGE_PROMPT_TOKENS}}]),
                JSONExtractInt(lf_usage, 'input')))) AS input_tokens,
            toUInt64(greatest(0, multiIf(
                attrs[{{key:GEN_AI.USAGE_OUTPUT_TOKENS}}] != '', toInt64OrZero(attrs[{{key:GEN_AI.USAGE_OUTPUT_TOKENS}}]),
                attrs[{{key:TRACELOOP.USAGE_COMPLETION_TOKENS}}] != '', toInt64OrZero(attrs[{{key:TRACELOOP.USAGE_COMPLETION_TOKENS}}]),
                attrs[{{key:OPENINFERENCE.TOKEN_COUNT_COMPLETION}}] != '', toInt64OrZero(attrs[{{key:OPENINFERENCE.TOKEN_COUNT_COMPLETION}}]),
                attrs[{{key:VERCEL_AI.USAGE_OUTPUT_TOKENS}}] != '', toInt64OrZero(attrs[{{key:VERCEL_AI.USAGE_OUTPUT_TOKENS}}]),
                attrs[{{key:VERCEL_AI.USAGE_COMPLETION_TOKENS}}] != '', toInt64OrZero(attrs[{{key:VERCEL_AI.USAGE_COMPLETION_TOKENS}}]),
                JSONExtractInt(lf_usage, 'output')))) AS output_tokens,
            toUInt64(greatest(0, multiIf(
                attrs[{{key:GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS}}] != '', toInt64OrZero(attrs[{{key:GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS}}]),
                toInt64OrZero(attrs[{{key:OPENINFERENCE.TOKEN_COUNT_CACHE_READ}}])))) AS cache_read_tokens,
            toUInt64(greatest(0, toInt64OrZero(attrs[{{key:GEN_AI.USAGE_CACHE_WRITE_INPUT_TOKENS}}]))) AS cache_write_tokens,
            toUInt64(greatest(0, multiIf(
                attrs[{{key:GEN_AI.USAGE_REASONING_OUTPUT_TOKENS}}] != '', toInt64OrZero(attrs[{{key:GEN_AI.USAGE_REASONING_OUTPUT_TOKENS}}]),
                toInt64OrZero(attrs[{{key:OPENINFERENCE.TOKEN_COUNT_REASONING}}])))) AS reasoning_tokens,
            attrs[{{key:LANGFUSE.COST_DETAILS}}] AS lf_cost,
            attrs[{{key:PROMPTLINE.COST_USD}}] != '' OR JSONHas(lf_cost, 'total') AS span_cost_known,
            if(attrs[{{key:PROMPTLINE.COST_USD}}] != '', toFloat64OrZero(attrs[{{key:PROMPTLINE.COST_USD}}]),
                JSONExtractFloat(lf_cost, 'total')) AS span_cost,
            if(attrs[{{key:PROMPTLINE.COST_INPUT_USD}}] != '', toFloat64OrZero(attrs[{{key:PROMPTLINE.COST_INPUT_USD}}]),
                JSONExtractFloat(lf_cost, 'input')) AS span_input_cost,
            if(attrs[{{key:PROMPTLINE.COST_OUTPUT_USD}}] != '', toFloat64OrZero(attrs[{{key:PROMPTLINE.COST_OUTPUT_USD}}]),
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
                attrs[{{key:GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK}}] != '',
                    toFloat64OrNull(attrs[{{key:GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK}}]) * 1000,
                attrs[{{key:VERCEL_AI.MS_TO_FIRST_CHUNK}}] != '',
                    toFloat64OrNull(attrs[{{key:VERCEL_AI.MS_TO_FIRST_CHUNK}}]),
                NULL) AS ttft_ms,
            toUInt8(StatusCode = 'Error' OR attrs[{{key:ERROR_TYPE}}] != '') AS is_error,
            if(is_error = 1, if(attrs[{{key:ERROR_TYPE}}] != '', attrs[{{key:ERROR_TYPE}}], '_OTHER'), '') AS error_type,
            multiIf(
                attrs[{{key:PROMPTLINE.VALIDATION_PASSED}}] = 'true', toNullable(toUInt8(1)),
                attrs[{{key:PROMPTLINE.VALIDATION_PASSED}}] = 'false', toNullable(toUInt8(0)),
                NULL) AS validation_passed,
            attrs[{{key:PROMPTLINE.EXPERIMENT_NAME}}] AS experiment_name,
            attrs[{{key:PROMPTLINE.EXPERIMENT_ARM}}] AS experiment_arm,
            attrs[{{key:GEN_AI.RESPONSE_ID}}] AS response_id,
            TraceId AS trace_id,
            SpanId AS span_id
        FROM (
            -- The generation spans, with the attributes the view reads (and only those) in attrs.
            SELECT
                mapFilter((k, v) -> k IN (
                    {{key:LANGFUSE.ENVIRONMENT}}, {{key:VERCEL_AI.METADATA_LANGFUSE_PROMPT}},
                    {{key:GEN_AI.PROMPT_NAME}}, {{key:LANGFUSE.PROMPT_NAME}}, {{key:TRACELOOP.PROMPT_KEY}},
                    {{key:OPENINFERENCE.PROMPT_ID}}, {{key:OPENINFERENCE.PROMPT_TEMPLATE}},
                    {{key:VERCEL_AI.METADATA_PROMPT_NAME}}, {{key:PROMPTLINE.PROMPT_VERSION}},
                    {{key:GEN_AI.PROMPT_VERSION}}, {{key:LANGFUSE.PROMPT_VERSION}},
                    {{key:TRACELOOP.PROMPT_VERSION}}, {{key:OPENINFERENCE.PROMPT_TEMPLATE_VERSION}},
                    {{key:VERCEL_AI.METADATA_PROMPT_VERSION}}, {{key:PROMPTLINE.PROMPT_LABEL}},
                    {{key:PROMPTLINE.PROMPT_HASH}}, {{key:TRACELOOP.PROMPT_VERSION_HASH}},
                    {{key:TRACELOOP.PROMPT_TEMPLATE}}, {{key:PROMPTLINE.PROMPT_FALLBACK}},
                    {{key:GEN_AI.RESPONSE_MODEL}}, {{key:GEN_AI.REQUEST_MODEL}}, {{key:LANGFUSE.MODEL_NAME}},
                    {{key:OPENINFERENCE.MODEL_NAME}}, {{key:VERCEL_AI.MODEL_ID}},
                    {{key:GEN_AI.PROVIDER_NAME}}, {{key:GEN_AI.SYSTEM}}, {{key:OPENINFERENCE.PROVIDER}},
                    {{key:OPENINFERENCE.SYSTEM}}, {{key:VERCEL_AI.MODEL_PROVIDER}},
                    {{key:LANGFUSE.USAGE_DETAILS}}, {{key:GEN_AI.USAGE_INPUT_TOKENS}},
                    {{key:TRACELOOP.USAGE_PROMPT_TOKENS}}, {{key:OPENINFERENCE.TOKEN_COUNT_PROMPT}},
                    {{key:VERCEL_AI.USAGE_INPUT_TOKENS}}, {{key:VERCEL_AI.USAGE_PROMPT_TOKENS}},
                    {{key:GEN_AI.USAGE_OUTPUT_TOKENS}}, {{key:TRACELOOP.USAGE_COMPLETION_TOKENS}},
                    {{key:OPENINFERENCE.TOKEN_COUNT_COMPLETION}}, {{key:VERCEL_AI.USAGE_OUTPUT_TOKENS}},
                    {{key:VERCEL_AI.USAGE_COMPLETION_TOKENS}}, {{key:GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS}},
                    {{key:OPENINFERENCE.TOKEN_COUNT_CACHE_READ}},
                    {{key:GEN_AI.USAGE_CACHE_WRITE_INPUT_TOKENS}},
                    {{key:GEN_AI.USAGE_REASONING_OUTPUT_TOKENS}},
                    {{key:OPENINFERENCE.TOKEN_COUNT_REASONING}}, {{key:LANGFUSE.COST_DETAILS}},
                    {{key:PROMPTLINE.COST_USD}}, {{key:PROMPTLINE.COST_INPUT_USD}},
                    {{key:PROMPTLINE.COST_OUTPUT_USD}}, {{key:GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK}},
                    {{key:VERCEL_AI.MS_TO_FIRST_CHUNK}}, {{key:ERROR_TYPE}},
                    {{key:PROMPTLINE.VALIDATION_PASSED}}, {{key:PROMPTLINE.EXPERIMENT_NAME}},
                    {{key:PROMPTLINE.EXPERIMENT_ARM}}, {{key:GEN_AI.RESPONSE_ID}}
                ), SpanAttributes) AS attrs,
                Timestamp, ResourceAttributes, ServiceName, Duration, StatusCode, TraceId, SpanId
            FROM (
                -- Spans the insert vouches are new (see the comment above): no lookup.
                SELECT SpanAttributes, Timestamp, ResourceAttributes, ServiceName, Duration, StatusCode, TraceId, SpanId
                FROM {{local:otel_traces}}
                WHERE {{new_spans_insert}}
                    AND (SpanAttributes[{{key:GEN_AI.OPERATION_NAME}}] IN {{list:GEN_AI_GENERATION_OPERATIONS}}
                    OR SpanAttributes[{{key:PROMPTLINE.OBSERVATION_TYPE}}] = 'generation'
                    OR SpanAttributes[{{key:LANGFUSE.OBSERVATION_TYPE}}] = 'generation'
                    OR SpanAttributes[{{key:OPENINFERENCE.SPAN_KIND}}] = 'LLM'
                    OR SpanAttributes[{{key:TRACELOOP.REQUEST_TYPE}}] IN ('chat', 'completion')
                    OR match(SpanName, '^ai\\.[A-Za-z]+\\.do(Generate|Stream)$'))
                UNION ALL
                -- Any other insert: the first copy in the block of each span not yet stored (or
                -- stored by this same batch, retried).
                SELECT s.SpanAttributes AS SpanAttributes, s.Timestamp AS Timestamp,
                    s.ResourceAttributes AS ResourceAttributes, s.ServiceName AS ServiceName,
                    s.Duration AS Duration, s.StatusCode AS StatusCode, s.TraceId AS TraceId, s.SpanId AS SpanId
                FROM (
                    SELECT SpanAttributes, Timestamp, ResourceAttributes, ServiceName, Duration, StatusCode, TraceId, SpanId,
                        ResourceAttributes[{{key:RESOURCE.PROJECT_ID}}] AS span_project,
                        {{span_identity:Timestamp,span_project,TraceId,SpanId}} AS span_hash
                    FROM {{local:otel_traces}}
                    WHERE NOT {{new_spans_insert}}
                        AND (SpanAttributes[{{key:GEN_AI.OPERATION_NAME}}] IN {{list:GEN_AI_GENERATION_OPERATIONS}}
                        OR SpanAttributes[{{key:PROMPTLINE.OBSERVATION_TYPE}}] = 'generation'
                        OR SpanAttributes[{{key:LANGFUSE.OBSERVATION_TYPE}}] = 'generation'
                        OR SpanAttributes[{{key:OPENINFERENCE.SPAN_KIND}}] = 'LLM'
                        OR SpanAttributes[{{key:TRACELOOP.REQUEST_TYPE}}] IN ('chat', 'completion')
                        OR match(SpanName, '^ai\\.[A-Za-z]+\\.do(Generate|Stream)$'))
                    LIMIT 1 BY span_hash
                ) AS s
                LEFT ANY JOIN {{local:promptline_span_ids}} AS d ON d.span_hash = s.span_hash
                WHERE d.seen = 0 OR (d.batch != 0 AND d.batch = {{insert_batch}})
            )
        )
    )
) AS g
SETTINGS join_algorithm = 'direct';
