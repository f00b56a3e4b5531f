import {
  appendFileSync,
  chmodSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../src/logger.js';
import {
  deadLetterDir,
  READ_CHUNK_BYTES,
  WalFullError,
  WalWriteError,
  WriteAheadLog,
} from '../src/wal/WriteAheadLog.js';
import type { FsyncPolicy, WalBatch, WalOptions, WalRecord } from '../src/wal/WriteAheadLog.js';
import { tempDir } from '../../../test/kit/collector.js';
import { fillTo, mountTmpfs } from '../../../test/kit/disk.js';

const lines: string[] = [];
const log = createLogger('debug', (l) => lines.push(l));
const dirs: Array<() => void> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d();
  lines.length = 0;
});

function opts(over: Partial<WalOptions> = {}): WalOptions {
  const t = tempDir('promptline-wal-');
  dirs.push(t.remove);
  return {
    dir: t.dir,
    fsync: 'always',
    fsyncIntervalMs: 20,
    segmentMaxBytes: 1 << 20,
    maxBytes: 8 << 20,
    ...over,
  };
}

const rec = (text: string, rows = 1): WalRecord => ({
  kind: 'traces',
  format: 'JSONEachRow',
  rows,
  payload: Buffer.from(text),
});

const rowsOf = (batches: WalBatch[]): number => batches.reduce((n, b) => n + b.rows, 0);
/** A batch's body, each piece copied (the pieces share one reused buffer). */
const bodyOf = (batch: WalBatch): string =>
  Buffer.concat(Array.from(batch.chunks(), (c) => Buffer.from(c))).toString();

describe('WriteAheadLog', () => {
  for (const fsync of ['always', 'interval', 'never'] as FsyncPolicy[]) {
    it(`keeps every acknowledged record across a reopen (fsync: ${fsync})`, async () => {
      const o = opts({ fsync });
      const wal = await WriteAheadLog.open(o, log);
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          wal.append([
            rec(`row-${i}\n`),
            { kind: 'logs', format: 'JSONEachRow', rows: 2, payload: Buffer.from(`log-${i}\n`) },
          ]),
        ),
      );
      // No close: a crashed process leaves the active segment as it is.
      const again = await WriteAheadLog.open(o, log);
      expect(again.sealedCount).toBe(1);
      const [traces, logs, ...more] = await again.read(again.sealed()[0]!);
      expect(more).toEqual([]);
      expect([traces?.kind, traces?.rows, logs?.kind, logs?.rows]).toEqual(['traces', 50, 'logs', 100]);
      const traceLines = bodyOf(traces!).trim().split('\n');
      expect(new Set(traceLines).size).toBe(50);
      expect(bodyOf(logs!)).toContain('log-49\n');
      await again.close();
      await wal.close();
    });
  }

  it('reads a batch from the segment file in pieces of at most READ_CHUNK_BYTES, afresh on every call', async () => {
    const o = opts({ segmentMaxBytes: 8 << 20 });
    const wal = await WriteAheadLog.open(o, log);
    // Records of 0.3, 2.5 and 0.7 chunks: pieces end at record and chunk boundaries.
    const sizes = [0.3, 2.5, 0.7].map((f) => Math.floor(f * READ_CHUNK_BYTES));
    const payloads = sizes.map((n, i) => Buffer.alloc(n, 97 + i));
    for (const p of payloads) await wal.append([{ kind: 'traces', format: 'Native', rows: 1, payload: p }]);
    await wal.sealAndWait();
    const [batch, ...more] = await wal.read(wal.sealed()[0]!);
    expect(more).toEqual([]);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect([batch!.rows, batch!.bytes]).toEqual([3, total]);
    const pieces = Array.from(batch!.chunks(), (c) => ({
      len: c.length,
      buffer: c.buffer,
      copy: Buffer.from(c),
    }));
    expect(pieces.map((p) => p.len)).toEqual([
      sizes[0],
      READ_CHUNK_BYTES,
      READ_CHUNK_BYTES,
      sizes[1]! - 2 * READ_CHUNK_BYTES,
      sizes[2],
    ]);
    // One buffer is reused for every piece.
    expect(new Set(pieces.map((p) => p.buffer)).size).toBe(1);
    expect(Buffer.concat(pieces.map((p) => p.copy)).equals(Buffer.concat(payloads))).toBe(true);
    // A retried insert reads the body again.
    expect(bodyOf(batch!)).toBe(Buffer.concat(payloads).toString());
    await wal.close();
  });

  it('knows whose rows a segment holds while it runs; a segment found at open, or a record without a project, leaves it unknown', async () => {
    const o = opts();
    const wal = await WriteAheadLog.open(o, log);
    await wal.append([{ ...rec('a\n'), project: 'acme' }]);
    await wal.append([
      { ...rec('b\n'), project: 'globex' },
      { ...rec('c\n'), kind: 'logs', project: 'acme' },
    ]);
    await wal.sealAndWait();
    const [first] = wal.sealed();
    expect([...(first!.projects ?? [])].sort()).toEqual(['acme', 'globex']);
    // Every batch of the segment (traces and logs) carries the segment's projects.
    expect((await wal.read(first!)).map((b) => [b.kind, [...(b.projects ?? [])].sort()])).toEqual([
      ['traces', ['acme', 'globex']],
      ['logs', ['acme', 'globex']],
    ]);
    await wal.append([{ ...rec('d\n'), project: 'acme' }, rec('e\n')]);
    await wal.sealAndWait();
    expect(wal.sealed()[1]!.projects).toBeUndefined();
    await wal.close();
    // Reopened: the projects were never written to disk, so they are unknown.
    const again = await WriteAheadLog.open(o, log);
    expect(again.sealed().map((s) => s.projects)).toEqual([undefined, undefined]);
    expect(rowsOf(await again.read(again.sealed()[0]!))).toBe(3);
    await again.close();
  });

  it('keeps the span identities of traces records with the segment, within its memory bound; never on disk', async () => {
    const o = opts({ maxIdentityBytes: 64 });
    const wal = await WriteAheadLog.open(o, log);
    const ids = (n: number): Float64Array => new Float64Array(2 * n).fill(n);
    await wal.append([
      { ...rec('a\n'), identities: ids(1) },
      { ...rec('l\n'), kind: 'logs' },
    ]);
    await wal.append([{ ...rec('b\n'), identities: ids(2) }]);
    await wal.sealAndWait();
    const [first] = wal.sealed();
    expect(first!.identities?.map((a) => a.length)).toEqual([2, 4]);
    // Only the traces batch carries them.
    expect((await wal.read(first!)).map((b) => [b.kind, b.identities?.length])).toEqual([
      ['traces', 2],
      ['logs', undefined],
    ]);
    // 48 bytes held: 32 more do not fit the bound of 64, so the next segment keeps none.
    await wal.append([{ ...rec('c\n'), identities: ids(2) }]);
    await wal.sealAndWait();
    expect(wal.sealed()[1]!.identities).toBeUndefined();
    // A traces record without identities leaves its segment without any.
    await wal.remove(first!);
    await wal.append([{ ...rec('d\n'), identities: ids(1) }, rec('e\n')]);
    await wal.sealAndWait();
    expect(wal.sealed()[1]!.identities).toBeUndefined();
    // Once the first segment is gone, its bytes are free again.
    await wal.append([{ ...rec('f\n'), identities: ids(2) }]);
    await wal.sealAndWait();
    expect(wal.sealed()[2]!.identities?.map((a) => a.length)).toEqual([4]);
    await wal.close();
    const again = await WriteAheadLog.open(o, log);
    expect(again.sealed().map((seg) => seg.identities)).toEqual([undefined, undefined, undefined]);
    await again.close();
  });

  it('cuts a torn tail on open; skips a corrupt record, keeping the records before and after it', async () => {
    const o = opts();
    const wal = await WriteAheadLog.open(o, log);
    for (let i = 0; i < 10; i++) await wal.append([rec(`r${i}\n`)]);
    await wal.close();
    const [name] = readdirSync(o.dir);
    const file = join(o.dir, name!);
    const whole = statSync(file).size;
    // A crash mid-write: half a header.
    appendFileSync(file, Buffer.from([0x50, 0x4c, 0x57, 0x31, 0x09, 0, 0]));
    const reopened = await WriteAheadLog.open(o, log);
    expect(statSync(file).size).toBe(whole);
    expect(lines.some((l) => /cut 7 bytes of torn tail/.test(l))).toBe(true);
    expect(rowsOf(await reopened.read(reopened.sealed()[0]!))).toBe(10);
    expect(reopened.corruptBytes).toBe(0);
    await reopened.close();
    // Flip a payload byte of record 6: it is skipped, records 0..5 and 7..9 survive.
    const data = readFileSync(file);
    const recordSize = whole / 10;
    data[recordSize * 6 + 21] = data[recordSize * 6 + 21]! ^ 0xff;
    writeFileSync(file, data);
    const third = await WriteAheadLog.open(o, log);
    const batches = await third.read(third.sealed()[0]!);
    expect(bodyOf(batches[0]!)).toBe(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r7', 'r8', 'r9', ''].join('\n'));
    expect([third.corruptRegions, third.corruptBytes]).toEqual([1, recordSize]);
    expect(
      lines.filter((l) =>
        l.includes(
          `error: WAL segment ${name}: skipped ${recordSize} corrupt bytes at offset ${recordSize * 6}`,
        ),
      ),
    ).toHaveLength(1);
    // The file keeps its length: the damage is skipped, not cut (records after it are acknowledged data).
    expect(statSync(file).size).toBe(whole);
    await third.close();
    // A damaged length field in record 2's header: the scan finds record 3 again by its magic.
    data.writeUInt32LE(0x7fffffff, recordSize * 2 + 4);
    writeFileSync(file, data);
    const fourth = await WriteAheadLog.open(o, log);
    expect(rowsOf(await fourth.read(fourth.sealed()[0]!))).toBe(8);
    expect(fourth.corruptRegions).toBe(2);
    await fourth.close();
  });

  it('verifies checksums when a sealed segment is read: damage after sealing is skipped, not exported', async () => {
    const o = opts();
    const wal = await WriteAheadLog.open(o, log);
    for (let i = 0; i < 5; i++) await wal.append([rec(`row-${i}\n`)]);
    await wal.sealAndWait();
    const [seg] = wal.sealed();
    const data = readFileSync(seg!.file);
    const recordSize = data.length / 5;
    data[recordSize * 4 + 22] = 0x21; // last record: inside the sealed length, so not a torn tail
    writeFileSync(seg!.file, data);
    const [batch] = await wal.read(seg!);
    expect([batch!.rows, bodyOf(batch!)]).toEqual([4, 'row-0\nrow-1\nrow-2\nrow-3\n']);
    expect([wal.corruptRegions, wal.corruptBytes]).toEqual([1, recordSize]);
    // A retried export verifies again: the same damage is reported once, new damage is found.
    expect(rowsOf(await wal.read(seg!))).toBe(4);
    expect(wal.corruptRegions).toBe(1);
    data[recordSize + 22] = 0x21;
    writeFileSync(seg!.file, data);
    expect(rowsOf(await wal.read(seg!))).toBe(3);
    expect([wal.corruptRegions, wal.corruptBytes]).toEqual([2, 2 * recordSize]);
    await wal.close();
  });

  it('creates its directory and segments for their owner only, and restricts an existing directory', async () => {
    const base = opts();
    const o = { ...base, dir: join(base.dir, 'wal') };
    const wal = await WriteAheadLog.open(o, log);
    await wal.append([rec('private')]);
    await wal.sealAndWait();
    expect(statSync(o.dir).mode & 0o777).toBe(0o700);
    expect(statSync(wal.sealed()[0]!.file).mode & 0o777).toBe(0o600);
    await wal.close();
    chmodSync(o.dir, 0o755);
    chmodSync(join(o.dir, readdirSync(o.dir)[0]!), 0o644);
    const again = await WriteAheadLog.open(o, log);
    expect(statSync(o.dir).mode & 0o777).toBe(0o700);
    expect(statSync(again.sealed()[0]!.file).mode & 0o777).toBe(0o600);
    expect(lines.some((l) => /access restricted to its owner \(mode 755 -> 700\)/.test(l))).toBe(true);
    await again.close();
  });

  it('on a full disk (a real tmpfs) refuses the write, keeps no byte of it, and goes on after the space is back', async () => {
    const fs = mountTmpfs('promptline-wal-enospc-', 256 * 1024);
    onTestFinished(() => fs.unmount());
    const o = { ...opts(), dir: join(fs.dir, 'wal'), segmentMaxBytes: 64 * 1024, maxBytes: 8 << 20 };
    const wal = await WriteAheadLog.open(o, log);
    const filler = fillTo(fs.dir, 16 * 1024);
    const payload = 'z'.repeat(5000);
    let written = 0;
    let refused: unknown;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      try {
        await wal.append([rec(`${i}:${payload}\n`)]);
        written++;
      } catch (e) {
        refused = e;
      }
    }
    expect(refused).toBeInstanceOf(WalWriteError);
    expect((refused as WalWriteError).code).toBe('ENOSPC');
    expect((refused as WalWriteError).diskFull).toBe(true);
    expect((refused as WalWriteError).message).toMatch(/the disk is full/);
    expect(written).toBeGreaterThan(0);
    const [file] = readdirSync(o.dir);
    // The partial write was cut off: the file ends at the last acknowledged record.
    expect(statSync(join(o.dir, file!)).size).toBe(wal.pendingBytes);
    await expect(wal.append([rec(`late:${payload}\n`)])).rejects.toBeInstanceOf(WalWriteError);
    unlinkSync(filler);
    await wal.append([rec(`after:${payload}\n`)]);
    await wal.close();
    const again = await WriteAheadLog.open(o, log);
    const [batch] = await again.read(again.sealed()[0]!);
    const firsts = bodyOf(batch!)
      .trim()
      .split('\n')
      .map((l) => l.slice(0, l.indexOf(':')));
    expect(firsts).toEqual([...Array.from({ length: written }, (_, i) => String(i)), 'after']);
    expect(again.corruptBytes).toBe(0);
    await again.close();
    // A new segment whose first write fails leaves no file (and no open descriptor) behind.
    const third = await WriteAheadLog.open(o, log);
    for (const s of [...third.sealed()]) await third.remove(s);
    const filler2 = fillTo(fs.dir, 0);
    await expect(third.append([rec(payload)])).rejects.toBeInstanceOf(WalWriteError);
    unlinkSync(filler2);
    await third.close();
    expect(readdirSync(o.dir)).toEqual([]);
  });

  it('seals at segment_max_bytes; segment ids never repeat across reopens', async () => {
    const o = opts({ segmentMaxBytes: 4096 });
    const wal = await WriteAheadLog.open(o, log);
    const payload = 'x'.repeat(1000);
    for (let i = 0; i < 20; i++) await wal.append([rec(payload)]);
    await wal.sealAndWait();
    const ids = wal.sealed().map((s) => s.id);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    for (const s of wal.sealed()) expect(s.bytes).toBeLessThanOrEqual(4096 + 1020);
    await wal.close();
    const again = await WriteAheadLog.open(o, log);
    for (const s of [...again.sealed()]) await again.remove(s);
    await again.append([rec('after')]);
    await again.sealAndWait();
    expect(ids).not.toContain(again.sealed()[0]!.id);
    await again.close();
  });

  it('refuses appends beyond max_bytes without writing them, and has room again after export', async () => {
    const o = opts({ segmentMaxBytes: 4096, maxBytes: 65_536 });
    const wal = await WriteAheadLog.open(o, log);
    const chunk = 'y'.repeat(2000);
    let accepted = 0;
    let refused: unknown;
    for (let i = 0; i < 100 && refused === undefined; i++) {
      try {
        await wal.append([rec(chunk)]);
        accepted++;
      } catch (e) {
        refused = e;
      }
    }
    expect(refused).toBeInstanceOf(WalFullError);
    expect(wal.pendingBytes).toBeLessThanOrEqual(65_536);
    expect(accepted).toBe(Math.floor(65_536 / 2020));
    await wal.sealAndWait();
    for (const s of [...wal.sealed()]) await wal.remove(s);
    expect(wal.pendingBytes).toBe(0);
    await wal.append([rec(chunk)]);
    await wal.close();
    expect(readdirSync(o.dir)).toHaveLength(1);
  });

  it('dead-letters a sealed segment next to the WAL, within dead_letter_max_bytes, never deleting one', async () => {
    const base = opts();
    const o = { ...base, dir: join(base.dir, 'wal'), deadLetterMaxBytes: 3000 };
    const wal = await WriteAheadLog.open(o, log);
    for (const text of ['a'.repeat(2000), 'b'.repeat(2000)]) {
      await wal.append([rec(text)]);
      await wal.sealAndWait();
    }
    const [first, second] = wal.sealed();
    const moved = await wal.deadLetter(first!);
    expect(moved).toBe(join(deadLetterDir(o.dir), `seg-${first!.id}.wal`));
    expect(readFileSync(moved!).length).toBe(2020);
    expect(wal.deadLetterBytes).toBe(2020);
    expect(wal.pendingBytes).toBe(2020);
    // The second one does not fit the folder's bound: it stays in the WAL, untouched.
    expect(await wal.deadLetter(second!)).toBeUndefined();
    expect(wal.sealed().map((s) => s.id)).toEqual([second!.id]);
    expect(readdirSync(o.dir)).toEqual([`seg-${second!.id}.wal`]);
    await wal.close();
    // A reopen replays only the WAL directory and counts the dead-letter folder against its bound.
    const again = await WriteAheadLog.open(o, log);
    expect(again.sealed().map((s) => s.id)).toEqual([second!.id]);
    expect(again.deadLetterBytes).toBe(2020);
    await again.close();
  });
});
