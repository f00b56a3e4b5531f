/**
 * The identity of a span in `promptline_span_ids` (migration 0015): 16 bytes, the hour of the span's
 * start (4 bytes, big-endian hours since the epoch) followed by 12 bytes of
 * sipHash128(project, trace id, span id).
 *
 * The hour leads so that the keys of spans of one hour sit together in the key-value store: an insert
 * looks up the spans of the last hour or so, and the store answers from the few files that hold that
 * hour's key range, skipping the rest by their key bounds; with uniformly random keys every lookup had
 * to search every file (measured: 6–8 µs per lookup with 1M keys stored, most of the cost of an
 * insert's dedupe). A copy of a span has the same start time, so the same identity. 96 bits of hash
 * per hour make two spans of one hour collide with a probability of ~n²/2^97.
 *
 * @module
 */

import { timestampNanos } from '../write/nativeBlock.js';

/**
 * The hour an identity leads with, for a `Timestamp` as rows carry it (`YYYY-MM-DD HH:MM:SS.fffffffff`,
 * UTC): hours since the epoch of the span's start; NaN when the text is not such a time.
 */
export function identityHour(timestamp: string): number {
  const ns = timestampNanos(timestamp);
  return ns === undefined ? NaN : Number(ns / 3_600_000_000_000n);
}

/** SQL: the FixedString(16) identity of a span from its start time, project, trace id and span id. */
export function spanIdentitySql(time: string, project: string, trace: string, span: string): string {
  return `toFixedString(concat(unhex(leftPad(hex(toUInt32(intDiv(toUnixTimestamp(${time}), 3600))), 8, '0')), substring(reinterpretAsString(sipHash128(${project}, ${trace}, ${span})), 1, 12)), 16)`;
}

/**
 * The `log_comment` of an insert whose sender vouches that every span in it is new: no copy of any
 * of them is stored, and none appears twice in the insert (the collector on the embedded engine,
 * which sees every write: decision 0035). The generations view then passes its spans without looking
 * them up in `promptline_span_ids` (their identities are still written there). Any other insert is
 * looked up.
 */
export const NEW_SPANS_LOG_COMMENT = 'promptline:new-spans';
