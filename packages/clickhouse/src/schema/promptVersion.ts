/**
 * Prompt versions as spans carry them, and the number each is stored under.
 *
 * `promptline_generations.prompt_version` is a UInt32 (0 = not linked), the key of every per-version
 * table. A version whose text is a whole number (`3`, `v3`, `03`) from 1 to 2^31 − 1 is stored as that
 * number (the fast path, and what registries such as Promptline's and Langfuse's use). Any other
 * version text — `2.1.0`, `2.2.0-rc1`, a date, a git hash, an implicit `#a1b2c3d4` — is a *named*
 * version, stored under a stable id in the upper half of the range, 2^31 + (xxHash32(text) mod 2^31),
 * with the text in `prompt_version_name`. Ids of integer versions and named versions never meet; two
 * named versions of one prompt share an id with probability ~k²/2^32 for k named versions.
 *
 * The SQL fragments here are what the migrations expand (`{{version_int:…}}`, `{{version_text_ok:…}}`,
 * `{{version_id:…}}`); {@link parseVersionText} and {@link namedVersionId} are their JavaScript twins
 * (checked against the engine by the tests), used by the query layer to turn a version as a user types
 * it into the stored number.
 *
 * @module
 */

/** Largest integer version stored as itself; larger whole numbers are named versions. */
export const MAX_INTEGER_VERSION = 0x7fffffff;
/** First id of a named version. */
export const NAMED_VERSION_BASE = 0x80000000;
/** Longest version text accepted (after trimming); longer is an unparsable version. */
export const MAX_VERSION_TEXT = 128;

/** Whitespace trimmed from both ends of a version text (ASCII only, as the engine's `trim`). */
const EDGE_SPACE = /^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g;
/** Whole-number form of a version: an optional `v`, then 1 to 10 digits. */
const INTEGER_FORM = /^[vV]?[0-9]{1,10}$/;
/** Control characters make a version text unparsable. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** SQL: a version text without the ASCII whitespace at its ends. */
export function versionTrimSql(text: string): string {
  return `trim(BOTH ' \\t\\n\\r\\f\\v' FROM ${text})`;
}

/**
 * SQL: the value of a (trimmed) version text in whole-number form (`3`, `v3`, `03` → 3), else 0. UInt64 (ten
 * digits may exceed UInt32).
 */
export function versionIntSql(text: string): string {
  return `if(match(${text}, '^[vV]?[0-9]{1,10}$'), toUInt64(replaceRegexpOne(${text}, '^[vV]', '')), toUInt64(0))`;
}

/** SQL: whether a (trimmed) version text is acceptable as a named version. */
export function versionTextOkSql(text: string): string {
  return `(lengthUTF8(${text}) BETWEEN 1 AND ${MAX_VERSION_TEXT} AND NOT match(${text}, '[\\\\x00-\\\\x1f\\\\x7f]'))`;
}

/** SQL: the stored id (UInt32) of a named version. */
export function versionIdSql(name: string): string {
  return `toUInt32(bitOr(bitAnd(xxHash32(${name}), ${MAX_INTEGER_VERSION}), ${NAMED_VERSION_BASE}))`;
}

/** How a version text is stored. */
export type ParsedVersion =
  | { kind: 'integer'; id: number; name: string }
  | { kind: 'named'; id: number; name: string }
  | { kind: 'empty' }
  | { kind: 'unparsable'; reason: string };

/**
 * The stored form of a version text, as the generations view computes it: ASCII whitespace trimmed
 * from both ends; a whole number
 * 1…2^31 − 1 is an integer version (its name the number without `v` or leading zeros); 0 is
 * unparsable; any other text of 1–128 characters without control characters is a named version.
 */
export function parseVersionText(raw: string): ParsedVersion {
  const text = raw.replace(EDGE_SPACE, '');
  if (text === '') return { kind: 'empty' };
  if (INTEGER_FORM.test(text)) {
    const value = Number(text.replace(/^[vV]/, ''));
    if (value === 0) return { kind: 'unparsable', reason: 'version 0 is not a version' };
    if (value <= MAX_INTEGER_VERSION) return { kind: 'integer', id: value, name: String(value) };
  }
  if ([...text].length > MAX_VERSION_TEXT)
    return { kind: 'unparsable', reason: `longer than ${MAX_VERSION_TEXT} characters` };
  if (CONTROL.test(text)) return { kind: 'unparsable', reason: 'contains control characters' };
  return { kind: 'named', id: namedVersionId(text), name: text };
}

/** The display name of a stored version: its `prompt_version_name`, else the number (`''` for 0). */
export function versionName(id: number, name?: string): string {
  if (name !== undefined && name !== '') return name;
  return id === 0 ? '' : String(id);
}

/** The stored id of a named version: 2^31 + (xxHash32 of its UTF-8 bytes mod 2^31). */
export function namedVersionId(name: string): number {
  return ((xxHash32(new TextEncoder().encode(name)) & MAX_INTEGER_VERSION) | NAMED_VERSION_BASE) >>> 0;
}

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
const mul = (a: number, b: number): number => Math.imul(a, b) >>> 0;
const u32 = (b: Uint8Array, i: number): number =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

/** XXH32 with seed 0 (the engine's `xxHash32` of a string). */
export function xxHash32(bytes: Uint8Array): number {
  const len = bytes.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (P1 + P2) >>> 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = (0 - P1) >>> 0;
    const round = (v: number, at: number): number => mul(rotl((v + mul(u32(bytes, at), P2)) >>> 0, 13), P1);
    for (; i <= len - 16; i += 16) {
      v1 = round(v1, i);
      v2 = round(v2, i + 4);
      v3 = round(v3, i + 8);
      v4 = round(v4, i + 12);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = P5;
  }
  h = (h + len) >>> 0;
  for (; i <= len - 4; i += 4) h = mul(rotl((h + mul(u32(bytes, i), P3)) >>> 0, 17), P4);
  for (; i < len; i++) h = mul(rotl((h + mul(bytes[i]!, P5)) >>> 0, 11), P1);
  h = mul(h ^ (h >>> 15), P2);
  h = mul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}
