-- Generations view, recreated: model prices are chosen in the price table's own order of precedence
-- (latest effective date, highest reached tier, longest pattern). 0005 took the first price in the
-- order multiMatchAllIndices reports matches, which is by where in the model name a pattern matches:
-- an older price whose pattern matches a prefix ('^acme', 'gpt-4o') won over a newer one anchored at
-- the end ('^acme-mini$'). The indices are now sorted (the price array is already in precedence
-- order); everything else is 0005's view unchanged. Rows stored before this migration keep their
-- costs (costs are computed at insert time).
--
-- Run with ingestion stopped (the collector migrates before it accepts data): spans written between
-- the drop and the create reach otel_traces but not promptline_generations. Re-runnable.

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
    timestamp, project_id, service_name, environment,
    prompt_name, if(linked, prompt_version_raw, 0) AS prompt_version, prompt_label, prompt_hash, prompt_source,
    prompt_fallback, model, provider,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    if(span_cost_known, span_cost, priced_input + priced_output) AS cost_usd,
    if(span_cost_known, span_input_cost, priced_input) AS input_cost_usd,
    if(span_cost_known, span_output_cost, priced_output) AS output_cost_usd,
    multiIf(span_cost_known, 'span', length(price_idx) > 0, 'price_table', 'none') AS cost_source,
    latency_ms, ttft_ms, is_error, error_type, validation_passed, experiment_name, experiment_arm,
    trace_id, span_id
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
        toUInt32OrZero(extract(multiIf(
            prompt_source = 'promptline', SpanAttributes[{{key:PROMPTLINE.PROMPT_VERSION}}],
            prompt_source = 'langfuse', SpanAttributes[{{key:LANGFUSE.PROMPT_VERSION}}],
            prompt_source = 'traceloop', SpanAttributes[{{key:TRACELOOP.PROMPT_VERSION}}],
            prompt_source = 'openinference', SpanAttributes[{{key:OPENINFERENCE.PROMPT_TEMPLATE_VERSION}}],
            prompt_source = 'vercel', if(JSONExtractString(vercel_lf_prompt, 'name') != '',
                toString(JSONExtractUInt(vercel_lf_prompt, 'version')), SpanAttributes[{{key:VERCEL_AI.METADATA_PROMPT_VERSION}}]),
            ''), '\\d+')) AS prompt_version_raw,
        if(prompt_source = 'promptline', SpanAttributes[{{key:PROMPTLINE.PROMPT_LABEL}}], '') AS prompt_label,
        multiIf(
            prompt_source = 'promptline', SpanAttributes[{{key:PROMPTLINE.PROMPT_HASH}}],
            prompt_source = 'traceloop', SpanAttributes[{{key:TRACELOOP.PROMPT_VERSION_HASH}}],
            '') AS prompt_hash,
        toUInt8(SpanAttributes[{{key:PROMPTLINE.PROMPT_FALLBACK}}] = 'true'
            OR (prompt_source = 'vercel' AND JSONExtractBool(vercel_lf_prompt, 'isFallback'))) AS prompt_fallback,
        prompt_name != '' AND prompt_version_raw > 0 AND prompt_fallback = 0 AS linked,
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
        TraceId AS trace_id,
        SpanId AS span_id
    FROM {{local:otel_traces}}
    WHERE SpanAttributes[{{key:GEN_AI.OPERATION_NAME}}] IN {{list:GEN_AI_GENERATION_OPERATIONS}}
        OR SpanAttributes[{{key:PROMPTLINE.OBSERVATION_TYPE}}] = 'generation'
        OR SpanAttributes[{{key:LANGFUSE.OBSERVATION_TYPE}}] = 'generation'
        OR SpanAttributes[{{key:OPENINFERENCE.SPAN_KIND}}] = 'LLM'
        OR SpanAttributes[{{key:TRACELOOP.REQUEST_TYPE}}] IN ('chat', 'completion')
        OR match(SpanName, '^ai\\.[A-Za-z]+\\.do(Generate|Stream)$')
);
