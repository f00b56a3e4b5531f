-- The span identity set (0015) and the response-id index (0017) are written through RocksDB's
-- memtable instead of one SST file per insert (decision 0033).
--
-- EmbeddedRocksDB's default, optimize_for_bulk_insert = 1, turns every insert block into an SST
-- file of its own that is fsynced and ingested into the store. The identity set gets one block per
-- insert (the collector's WAL segment), all keyed in the current hour, so these files overlap: every
-- lookup of the next insert searched each of them until compaction merged them, and every insert
-- paid a file, an fsync and a manifest write. With 0 the rows go to the memtable (and RocksDB's own
-- write-ahead log, in the page cache before the insert returns, so a kill -9 of the process keeps
-- them like the parts it wrote), are found there by the next insert, and reach disk in large
-- flushes. Measured: bench/RESULTS.md, `pnpm bench:ingest`.
--
-- A setting only: no data is rewritten, readers and views are unchanged. Re-runnable.

ALTER TABLE {{local:promptline_span_ids}} {{on_cluster}} MODIFY SETTING optimize_for_bulk_insert = 0;

-- @single
ALTER TABLE {{local:promptline_response_index}} {{on_cluster}} MODIFY SETTING optimize_for_bulk_insert = 0;
