-- Model prices, in USD per one million tokens, per usage type. A generation span without an
-- explicit cost (promptline.cost.usd, Langfuse cost details) is priced at insert time from the rows
-- whose model_pattern (an RE2 regular expression, matched against the model name) matches, whose
-- effective_from is not after the span, and whose min_input_tokens tier the request's input tokens
-- reach. Among matching rows the latest effective_from wins, then the highest tier, then the
-- longest pattern. Usage types: input, output, cache_read, cache_write, reasoning (the last three
-- fall back to the input / output price when absent).
-- Replace a price by inserting a row with the same key and a newer updated_at; delete by is_deleted = 1.
-- Cluster: the generations view prices spans on whichever node receives them, so every node needs
-- every price. The table is replicated to ALL nodes (replication path without {shard}) under its
-- own name, with no Distributed table: an insert on any node reaches every node.

CREATE TABLE IF NOT EXISTS {{table:promptline_model_prices}} {{on_cluster}} (
    model_pattern    String,
    usage_type       LowCardinality(String),
    effective_from   DateTime('UTC'),
    min_input_tokens UInt64 DEFAULT 0,
    usd_per_million  Float64,
    provider         LowCardinality(String) DEFAULT '',
    note             String DEFAULT '',
    updated_at       DateTime64(3, 'UTC') DEFAULT now64(3),
    is_deleted       UInt8 DEFAULT 0
)
ENGINE = {{engine_all_nodes:ReplacingMergeTree(updated_at, is_deleted)}}
ORDER BY (model_pattern, usage_type, effective_from, min_input_tokens);
