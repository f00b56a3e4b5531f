/**
 * The OTLP messages traces and logs share (`KeyValue`, `AnyValue`, `Resource`,
 * `InstrumentationScope`), read into the exporter's string forms.
 */
import { RESOURCE } from '@promptline/semconv';
import type { AttributeMap } from '../rowTypes.js';
import { formatDouble, jsonString, newAttributeMap, setAttribute } from '../values.js';
import { checkEnd, WT_I64, WT_LEN, WT_VARINT } from './Cursor.js';
import type { Cursor } from './Cursor.js';

export interface KeyValueTarget {
  map: AttributeMap;
  count: number;
}

/** Reads one `KeyValue` into `target.map` (string form of the value, as the exporter stores it). */
export function readKeyValue(c: Cursor, end: number, target: KeyValueTarget): void {
  const r = c.r;
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'KeyValue.key');
      key = c.string(end, 'KeyValue.key');
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'KeyValue.value');
      const stop = c.lenEnd(end);
      value = readAnyValueText(c, stop, 0);
      checkEnd(c, stop);
    } else c.skip(wt, end);
  }
  if (++target.count > c.limits.maxAttributes) c.fail(`more than ${c.limits.maxAttributes} attributes`);
  setAttribute(target.map, key, value);
}

/** `AnyValue` in the exporter's string form: scalars plainly, arrays and maps as JSON. */
export function readAnyValueText(c: Cursor, end: number, depth: number): string {
  const r = c.r;
  let out = '';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        c.expect(wt, WT_LEN, 'AnyValue.string_value');
        out = c.string(end, 'AnyValue.string_value');
        break;
      case 2:
        c.expect(wt, WT_VARINT, 'AnyValue.bool_value');
        out = c.varint(end) !== 0 ? 'true' : 'false';
        break;
      case 3:
        c.expect(wt, WT_VARINT, 'AnyValue.int_value');
        out = c.int64Text(end);
        break;
      case 4:
        c.expect(wt, WT_I64, 'AnyValue.double_value');
        out = formatDouble(c.double(end));
        break;
      case 5:
      case 6: {
        c.expect(wt, WT_LEN, field === 5 ? 'AnyValue.array_value' : 'AnyValue.kvlist_value');
        const stop = c.lenEnd(end);
        out = field === 5 ? readArrayJson(c, stop, depth + 1) : readKvListJson(c, stop, depth + 1);
        checkEnd(c, stop);
        break;
      }
      case 7: {
        c.expect(wt, WT_LEN, 'AnyValue.bytes_value');
        const stop = c.lenEnd(end);
        out = c.buf.toString('base64', r.pos, stop);
        r.pos = stop;
        break;
      }
      default:
        c.skip(wt, end);
    }
  }
  return out;
}

/** `AnyValue` as a JSON value (inside arrays and maps). */
function readAnyValueJson(c: Cursor, end: number, depth: number): string {
  const r = c.r;
  let out = 'null';
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        c.expect(wt, WT_LEN, 'AnyValue.string_value');
        out = jsonString(c.string(end, 'AnyValue.string_value'));
        break;
      case 2:
        c.expect(wt, WT_VARINT, 'AnyValue.bool_value');
        out = c.varint(end) !== 0 ? 'true' : 'false';
        break;
      case 3:
        c.expect(wt, WT_VARINT, 'AnyValue.int_value');
        out = c.int64Text(end);
        break;
      case 4: {
        c.expect(wt, WT_I64, 'AnyValue.double_value');
        const d = c.double(end);
        out = Number.isFinite(d) ? formatDouble(d) : `"${formatDouble(d)}"`;
        break;
      }
      case 5:
      case 6: {
        c.expect(wt, WT_LEN, field === 5 ? 'AnyValue.array_value' : 'AnyValue.kvlist_value');
        const stop = c.lenEnd(end);
        out = field === 5 ? readArrayJson(c, stop, depth + 1) : readKvListJson(c, stop, depth + 1);
        checkEnd(c, stop);
        break;
      }
      case 7: {
        c.expect(wt, WT_LEN, 'AnyValue.bytes_value');
        const stop = c.lenEnd(end);
        out = `"${c.buf.toString('base64', r.pos, stop)}"`;
        r.pos = stop;
        break;
      }
      default:
        c.skip(wt, end);
    }
  }
  return out;
}

function readArrayJson(c: Cursor, end: number, depth: number): string {
  if (depth > c.limits.maxValueDepth) c.fail(`values nested deeper than ${c.limits.maxValueDepth} levels`);
  const r = c.r;
  const parts: string[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 1) {
      c.expect(wt, WT_LEN, 'ArrayValue.values');
      const stop = c.lenEnd(end);
      parts.push(readAnyValueJson(c, stop, depth));
      checkEnd(c, stop);
      if (parts.length > c.limits.maxAttributes)
        c.fail(`array value with more than ${c.limits.maxAttributes} elements`);
    } else c.skip(wt, end);
  }
  return `[${parts.join(',')}]`;
}

function readKvListJson(c: Cursor, end: number, depth: number): string {
  if (depth > c.limits.maxValueDepth) c.fail(`values nested deeper than ${c.limits.maxValueDepth} levels`);
  const r = c.r;
  const parts: string[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 1) {
      c.expect(wt, WT_LEN, 'KeyValueList.values');
      const stop = c.lenEnd(end);
      let key = '';
      let value = 'null';
      while (r.pos < stop) {
        const t2 = r.uint32();
        const w2 = t2 & 7;
        const f2 = t2 >>> 3;
        if (f2 === 1) {
          c.expect(w2, WT_LEN, 'KeyValue.key');
          key = c.string(stop, 'KeyValue.key');
        } else if (f2 === 2) {
          c.expect(w2, WT_LEN, 'KeyValue.value');
          const s2 = c.lenEnd(stop);
          value = readAnyValueJson(c, s2, depth);
          checkEnd(c, s2);
        } else c.skip(w2, stop);
      }
      checkEnd(c, stop);
      parts.push(`${jsonString(key)}:${value}`);
      if (parts.length > c.limits.maxAttributes)
        c.fail(`map value with more than ${c.limits.maxAttributes} entries`);
    } else c.skip(wt, end);
  }
  return `{${parts.join(',')}}`;
}

export interface ResourceInfo {
  attributes: AttributeMap;
  serviceName: string;
}

export function readResource(c: Cursor, end: number): ResourceInfo {
  const r = c.r;
  const target: KeyValueTarget = { map: newAttributeMap(), count: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 1) {
      c.expect(wt, WT_LEN, 'Resource.attributes');
      const stop = c.lenEnd(end);
      readKeyValue(c, stop, target);
      checkEnd(c, stop);
    } else c.skip(wt, end);
  }
  return { attributes: target.map, serviceName: target.map[RESOURCE.SERVICE_NAME] ?? '' };
}

export interface ScopeInfo {
  name: string;
  version: string;
  attributes: AttributeMap;
}

export function readScope(c: Cursor, end: number): ScopeInfo {
  const r = c.r;
  const scope: ScopeInfo = { name: '', version: '', attributes: newAttributeMap() };
  const target: KeyValueTarget = { map: scope.attributes, count: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      c.expect(wt, WT_LEN, 'InstrumentationScope.name');
      scope.name = c.string(end, 'InstrumentationScope.name');
    } else if (field === 2) {
      c.expect(wt, WT_LEN, 'InstrumentationScope.version');
      scope.version = c.string(end, 'InstrumentationScope.version');
    } else if (field === 3) {
      c.expect(wt, WT_LEN, 'InstrumentationScope.attributes');
      const stop = c.lenEnd(end);
      readKeyValue(c, stop, target);
      checkEnd(c, stop);
    } else c.skip(wt, end);
  }
  return scope;
}

export const EMPTY_SCOPE: ScopeInfo = { name: '', version: '', attributes: newAttributeMap() };
export const EMPTY_RESOURCE: ResourceInfo = { attributes: newAttributeMap(), serviceName: '' };
