import { NAMED_VERSION_BASE, parseVersionText, versionName } from '../schema/promptVersion.js';
import { QueryOptionsError } from './QueryOptionsError.js';

/**
 * Prompt versions as a caller names them (`3`, `'3'`, `'v3'`, `'2.1.0'`, `'#a1b2c3d4'`) and as the
 * readers show and order them. The stored number of a version is `prompt_version` (see
 * `schema/promptVersion.ts`): the version itself for whole numbers, a stable id for named versions.
 *
 * @module
 */

/** A version resolved to what is stored: its number and its display name. */
export interface ResolvedVersion {
  /** `prompt_version` as stored. */
  id: number;
  /** `3`, `2.1.0`, `#a1b2c3d4`. */
  name: string;
}

/**
 * The stored number and display name of a version given as a number or as typed; throws
 * {@link QueryOptionsError} naming `what` when it is not a version.
 */
export function resolveVersion(input: number | string, what: string): ResolvedVersion {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 1 || input > 0xffffffff)
      throw new QueryOptionsError(`${what} must be a positive whole number or a version name (got ${input})`);
    return { id: input, name: versionName(input) };
  }
  if (typeof input !== 'string')
    throw new QueryOptionsError(`${what} must be a version number or name (got ${typeof input})`);
  const parsed = parseVersionText(input);
  switch (parsed.kind) {
    case 'integer':
    case 'named':
      return { id: parsed.id, name: parsed.name };
    case 'empty':
      throw new QueryOptionsError(`${what} is required`);
    case 'unparsable':
      throw new QueryOptionsError(`${what} ${JSON.stringify(input)} is not a version: ${parsed.reason}`);
  }
}

/** Whether a stored number is a named version's id (not a whole-number version). */
export function isNamedVersion(id: number): boolean {
  return id >= NAMED_VERSION_BASE;
}

/**
 * Order of versions in a report, newest first: whole-number versions by number, descending, then
 * named versions by when they were first seen in the window, latest first (their ids carry no order).
 */
export function newestVersionFirst(
  a: { version: number; firstSeen: string },
  b: { version: number; firstSeen: string },
): number {
  const an = isNamedVersion(a.version);
  const bn = isNamedVersion(b.version);
  if (an !== bn) return an ? 1 : -1;
  if (!an) return b.version - a.version;
  return a.firstSeen === b.firstSeen ? a.version - b.version : a.firstSeen < b.firstSeen ? 1 : -1;
}

/**
 * A version given as text (a CLI argument, a URL parameter): a whole number from 2^31 to 2^32 − 1 is
 * a stored id (`VersionMetrics.version` of a named version, as listed by the readers); any other text
 * is the version as typed, for {@link resolveVersion}. (So a named version whose text is such a number
 * is given by its id.)
 */
export function versionArgument(text: string): number | string {
  const trimmed = text.trim();
  if (/^[0-9]{10}$/.test(trimmed)) {
    const id = Number(trimmed);
    if (id >= NAMED_VERSION_BASE && id <= 0xffffffff) return id;
  }
  return text;
}
