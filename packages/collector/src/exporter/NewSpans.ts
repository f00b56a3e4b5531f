/**
 * Which inserts carry only new spans, so that the generations view may skip its identity lookup
 * (migration 0020, decision 0035). The view dedupes every span it is not told is new: one key read
 * of `promptline_span_ids` per span, most of what the dedupe costs. On the embedded engine the
 * collector is the only writer of its data directory, so it can know what it stored: it remembers
 * the identities of the spans it inserted, per hour of their start time (the hour leads the view's
 * identity key too, `src/schema/spanIdentity.ts` of `@promptline/clickhouse`).
 *
 * An hour is *tracked* when every span of it that was ever stored went through this tracker: hours
 * after the newest generation stored up to the current hour when the tracker started (its floor),
 * except later hours that held generations already (a sender's clock ahead), until the hour is
 * dropped to keep the memory bound, which raises the floor past it. A batch is new when every span
 * lies in a tracked hour and none was seen before, in an earlier batch or earlier in the batch. Every
 * batch's spans are remembered, new or not (they are stored now, or were already).
 *
 * What can go wrong only costs a lookup, never a count: a span remembered but not stored (its
 * insert failed for good) makes a later copy take the looked-up path, which finds nothing and
 * passes it; two identities that hash alike make a batch look possibly copied. A batch retried after
 * a failure finds its own spans remembered and is looked up, so its insert, when it stored part of
 * the batch, passes its own spans again by the batch's token (decision 0030).
 *
 * Memory: the hash (8 bytes) in open-addressing tables kept at most half full, 16–32 bytes per
 * remembered span, at most {@link NewSpanTrackerOptions.maxIdentities} spans (by default 16–32 MB
 * at most: 1,000,000 spans, an hour of ~280 spans a second; an hour that holds more is looked up
 * from then on, as every insert was before).
 *
 * @module
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { identityHour } from '@promptline/clickhouse';
import type { TraceRow } from '@promptline/clickhouse';
import { RESOURCE } from '@promptline/semconv';

/**
 * The identities of `rows` as the tracker reads them: for each span, its start hour (hours since the
 * epoch, as the view's identity key) and a 53-bit hash of (project, trace id, span id), in pairs.
 * A span whose start time cannot be read gets hour NaN (never new).
 */
export function spanIdentities(rows: readonly TraceRow[]): Float64Array {
  const out = new Float64Array(rows.length * 2);
  // Spans of one batch mostly share their start hour: it is parsed once per run of equal hours.
  let lastText = '';
  let lastHour = NaN;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const text = r.Timestamp.substring(0, 13);
    if (text !== lastText) {
      lastText = text;
      lastHour = identityHour(r.Timestamp);
    }
    out[2 * i] = lastHour;
    out[2 * i + 1] = hash53(r.ResourceAttributes[RESOURCE.PROJECT_ID] ?? '', r.TraceId, r.SpanId);
  }
  return out;
}

/** Two 32-bit FNV-style lanes over `s`, continuing from `h` (lane 1 in [0], lane 2 in [1]). */
function mix(h: Int32Array, s: string): void {
  let h1 = h[0]!;
  let h2 = h[1]!;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  // A separator, so that ('ab', 'c') and ('a', 'bc') differ.
  h[0] = Math.imul(h1 ^ 0x1f, 2654435761);
  h[1] = Math.imul(h2 ^ 0x1f, 1597334677);
}

const lanes = new Int32Array(2);

/** A 53-bit hash of the three strings. */
function hash53(a: string, b: string, c: string): number {
  lanes[0] = 0xdeadbeef;
  lanes[1] = 0x41c6ce57;
  mix(lanes, a);
  mix(lanes, b);
  mix(lanes, c);
  let h1 = lanes[0]!;
  let h2 = lanes[1]!;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The hours (since the epoch) that hold stored generations, as {@link NewSpanTracker} needs them. */
export interface StoredHours {
  /** The newest such hour up to the current one (0: none). */
  floor: number;
  /** Later hours holding generations (spans stamped ahead of the clock), at most 1,000. */
  later: number[];
}

/**
 * Which hours of `database` hold stored generations (every identity in `promptline_span_ids` stands
 * for one): the newest up to the current hour, and any later ones (a sender's clock ahead), so that
 * one span stamped years ahead does not stop the tracking of every hour before it. With more than
 * 1,000 later hours, the floor is the newest of all.
 */
export async function storedHours(client: ClickHouseClient, database: string): Promise<StoredHours> {
  const rs = await client.query({
    query: `WITH toStartOfHour(now()) + INTERVAL 1 HOUR AS next_hour
SELECT
    toUInt32(intDiv(toUnixTimestamp(maxIf(timestamp, timestamp < next_hour)), 3600)) AS floor,
    arraySort(groupUniqArrayIf(1001)(toUInt32(intDiv(toUnixTimestamp(timestamp), 3600)), timestamp >= next_hour)) AS later
FROM \`${database}\`.promptline_generations`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ floor: number | string; later: Array<number | string> }>();
  const floor = Number(row?.floor ?? 0);
  const later = (row?.later ?? []).map(Number);
  return later.length > 1000 ? { floor: Math.max(floor, ...later), later: [] } : { floor, later };
}

/** An open-addressing set of 53-bit hashes (0 = empty slot), at most half full. */
class HashSet53 {
  private slots = new Float64Array(1024);
  size = 0;

  /** Adds `h`; false when it was there already. */
  add(h: number): boolean {
    const v = h || 1;
    if (2 * (this.size + 1) > this.slots.length) this.grow();
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = (v >>> 0) & mask; ; i = (i + 1) & mask) {
      const at = slots[i]!;
      if (at === v) return false;
      if (at === 0) {
        slots[i] = v;
        this.size++;
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    const next = new Float64Array(old.length * 2);
    const mask = next.length - 1;
    for (const v of old) {
      if (v === 0) continue;
      let i = (v >>> 0) & mask;
      while (next[i] !== 0) i = (i + 1) & mask;
      next[i] = v;
    }
    this.slots = next;
  }
}

/** Options of {@link NewSpanTracker}. */
export interface NewSpanTrackerOptions {
  /** Hours since the epoch up to which spans may be stored already (`storedHours().floor`). */
  floorHour: number;
  /** Later hours that may hold stored spans too (`storedHours().later`): never tracked. */
  untracked?: Iterable<number>;
  /** Identities remembered at most; beyond, the oldest hours are dropped. Default 1,000,000. */
  maxIdentities?: number;
}

/** Remembers the spans the collector inserted, per hour (see the module comment). */
export class NewSpanTracker {
  #floor: number;
  readonly #max: number;
  readonly #hours = new Map<number, HashSet53>();
  readonly #untracked = new Set<number>();
  #size = 0;

  constructor(opts: NewSpanTrackerOptions) {
    this.#floor = opts.floorHour;
    for (const h of opts.untracked ?? []) this.#untracked.add(h);
    this.#max = opts.maxIdentities ?? 1_000_000;
  }

  /** Hours up to this one are not tracked. */
  get floorHour(): number {
    return this.#floor;
  }

  /** Identities remembered. */
  get size(): number {
    return this.#size;
  }

  /**
   * Remembers the batch's spans (`spanIdentities` pairs) and tells whether they are all new: in
   * tracked hours, not seen before, none twice.
   */
  admit(ids: Float64Array): boolean {
    let fresh = true;
    for (let i = 0; i < ids.length; i += 2) {
      const hour = ids[i]!;
      if (!(hour > this.#floor) || this.#untracked.has(hour)) {
        fresh = false;
        continue;
      }
      let set = this.#hours.get(hour);
      if (set === undefined) this.#hours.set(hour, (set = new HashSet53()));
      if (set.add(ids[i + 1]!)) this.#size++;
      else fresh = false;
    }
    // Over the bound: forget the oldest hours, which are then no longer tracked (the floor passes them).
    while (this.#size > this.#max && this.#hours.size > 0) this.raiseFloor(Math.min(...this.#hours.keys()));
    return fresh;
  }

  /** Stops tracking every hour up to `hour` (spans of them may be stored without the tracker). */
  raiseFloor(hour: number): void {
    if (!(hour > this.#floor)) return;
    this.#floor = hour;
    for (const h of this.#hours.keys()) if (h <= hour) this.#forget(h);
    for (const h of this.#untracked) if (h <= hour) this.#untracked.delete(h);
  }

  /** Stops tracking what {@link storedHours} says may hold spans stored without the tracker. */
  untrack(stored: StoredHours): void {
    this.raiseFloor(stored.floor);
    for (const h of stored.later) {
      if (h <= this.#floor) continue;
      this.#forget(h);
      this.#untracked.add(h);
    }
  }

  #forget(hour: number): void {
    const set = this.#hours.get(hour);
    if (set === undefined) return;
    this.#size -= set.size;
    this.#hours.delete(hour);
  }
}
