-- @schema
-- Compression blocks of at most 256 KiB (the engine's default is 1 MiB) for new parts of otel_traces
-- and otel_logs. Writing a part holds an uncompressed and a compressed buffer of this size for each
-- column stream, and these tables have dozens of streams (each Map and Nested column is several).
-- Measured on the bench's spans, one insert of 32,768 of them: 226 MB of engine memory at its peak
-- with 1 MiB blocks, 131 MB with 256 KiB (108 MB with 64 KiB); merges ~100 MB -> ~70 MB at their peak;
-- stored size +1% (64 KiB: +4%). Parts already written keep their blocks until they are merged.
-- Skipped with migrate({ createSchema: false }): those tables belong to whoever created them.
-- Re-runnable.

ALTER TABLE {{local:otel_traces}} {{on_cluster}} MODIFY SETTING max_compress_block_size = 262144;

ALTER TABLE {{local:otel_logs}} {{on_cluster}} MODIFY SETTING max_compress_block_size = 262144;
