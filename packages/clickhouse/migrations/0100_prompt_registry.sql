-- Prompt registry (packages/collector/src/registry): prompt versions and the log of label moves.
-- Both tables are append-only. A version number is taken by inserting its row with the
-- insert_deduplication_token "<project>/<name>/<version>": of two writers racing for one number the
-- server keeps exactly one row, and each writer reads the row back to learn whether it won.
-- That needs the deduplication window ({{dedup_window}}), and in cluster mode all versions of one
-- prompt on one shard (the Distributed table shards by project and name).

CREATE TABLE IF NOT EXISTS {{local:prompt_versions}} {{on_cluster}} (
    project_id     LowCardinality(String),
    name           String,
    version        UInt32,
    type           LowCardinality(String),
    -- JSON: the template string (text) or the messages array (chat).
    body           String CODEC(ZSTD(3)),
    -- JSON objects/arrays, '' when absent.
    config         String CODEC(ZSTD(3)),
    output_schema  String CODEC(ZSTD(3)),
    examples       String CODEC(ZSTD(3)),
    metadata       String CODEC(ZSTD(3)),
    commit_message String,
    content_hash   String,
    created_by     String,
    created_at     DateTime64(3, 'UTC'),
    create_id      String
)
ENGINE = {{engine:MergeTree}}
ORDER BY (project_id, name, version)
SETTINGS {{dedup_window}};

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:prompt_versions}} {{on_cluster}} AS {{local:prompt_versions}}
ENGINE = {{distributed:prompt_versions:cityHash64(project_id, name)}};

-- Each row: from moved_at on, `label` of prompt `name` points at `version`. The newest row per
-- label wins (ties broken by event_id); rows are never updated or deleted, so a label never
-- disappears for a reader. `latest` rows record history only: readers take max(version).
CREATE TABLE IF NOT EXISTS {{local:prompt_label_events}} {{on_cluster}} (
    project_id LowCardinality(String),
    name       String,
    label      LowCardinality(String),
    version    UInt32,
    actor      String,
    moved_at   DateTime64(6, 'UTC'),
    event_id   String
)
ENGINE = {{engine:MergeTree}}
ORDER BY (project_id, name, label, moved_at, event_id);

-- @cluster
CREATE TABLE IF NOT EXISTS {{table:prompt_label_events}} {{on_cluster}} AS {{local:prompt_label_events}}
ENGINE = {{distributed:prompt_label_events:cityHash64(project_id, name)}};
