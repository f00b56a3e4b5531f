import type { Span } from '@opentelemetry/api';
import { PROMPTLINE } from '@promptline/semconv';
import { logger } from '../logger.js';
import type { CaptureKind } from './settings.js';
import { settings } from './settings.js';

const MAX_DEPTH = 32;

/** Thrown inside the walk when the output budget is spent. */
const FULL = Symbol('full');

/**
 * Serializes any value to JSON-ish text of at most `max` characters, safely: cycles become
 * `"[Circular]"`, bigints strings, functions/symbols are skipped, throwing getters/`toJSON` give
 * `"[Unserializable]"`, and the walk stops as soon as the budget is spent (so a huge input costs
 * O(max), not O(size)). Top-level strings are kept as they are.
 */
export function serializeBounded(value: unknown, max: number): { text: string; truncated: boolean } {
  if (typeof value === 'string') {
    return value.length > max
      ? { text: value.slice(0, max), truncated: true }
      : { text: value, truncated: false };
  }
  let out = '';
  const stack = new Set<object>();
  const push = (s: string): void => {
    out += s;
    if (out.length > max) throw FULL;
  };
  const walk = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case 'string':
        push(JSON.stringify(v.length > max ? v.slice(0, max + 1) : v));
        return;
      case 'number':
        push(Number.isFinite(v) ? String(v) : 'null');
        return;
      case 'boolean':
        push(v ? 'true' : 'false');
        return;
      case 'bigint':
        push(`"${v.toString()}"`);
        return;
      case 'undefined':
      case 'function':
      case 'symbol':
        push('null');
        return;
      case 'object':
        break;
    }
    if (v === null) return push('null');
    const obj = v as object;
    if (stack.has(obj)) return push('"[Circular]"');
    if (depth >= MAX_DEPTH) return push('"[Too deep]"');
    stack.add(obj);
    try {
      const toJSON = (obj as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        walk((toJSON as () => unknown).call(obj), depth + 1);
      } else if (Array.isArray(obj)) {
        push('[');
        for (let i = 0; i < obj.length; i++) {
          if (i > 0) push(',');
          walk(obj[i], depth + 1);
        }
        push(']');
      } else if (obj instanceof Set) {
        walk([...(obj as Set<unknown>)], depth);
      } else if (ArrayBuffer.isView(obj)) {
        push(`"[${obj.constructor.name} ${obj.byteLength} bytes]"`);
      } else {
        const entries: Iterable<[unknown, unknown]> | undefined =
          obj instanceof Map ? (obj as Map<unknown, unknown>).entries() : undefined;
        push('{');
        let first = true;
        if (entries !== undefined) {
          for (const [k, val] of entries) {
            if (!first) push(',');
            first = false;
            push(`${JSON.stringify(String(k))}:`);
            walk(val, depth + 1);
          }
        } else {
          for (const k in obj) {
            if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
            let val: unknown;
            try {
              val = (obj as Record<string, unknown>)[k];
            } catch {
              val = '[Unserializable]';
            }
            if (typeof val === 'function' || typeof val === 'symbol' || val === undefined) continue;
            if (!first) push(',');
            first = false;
            push(`${JSON.stringify(k)}:`);
            walk(val, depth + 1);
          }
        }
        push('}');
      }
    } catch (err) {
      if (err === FULL) throw err;
      push('"[Unserializable]"');
    } finally {
      stack.delete(obj);
    }
  };
  try {
    walk(value, 0);
    return { text: out, truncated: false };
  } catch (err) {
    if (err === FULL) return { text: out.slice(0, max), truncated: true };
    return { text: '"[Unserializable]"', truncated: false };
  }
}

let maskFailures = 0;

/**
 * Masks, serializes, truncates and records a captured value on `span`. Never throws: a failing
 * mask records `"[mask failed]"` (nothing of the raw value) and is logged once.
 */
export function recordCapture(span: Span, kind: CaptureKind, value: unknown): void {
  const key = kind === 'input' ? PROMPTLINE.INPUT : PROMPTLINE.OUTPUT;
  try {
    let v = value;
    const mask = settings.mask;
    if (mask !== undefined) {
      try {
        v = mask(value, { kind });
      } catch (err) {
        if (maskFailures++ === 0) logger.warn('mask function threw; the value was not recorded:', err);
        span.setAttribute(key, '[mask failed]');
        return;
      }
    }
    const { text, truncated } = serializeBounded(v, settings.captureMaxChars);
    span.setAttribute(key, text);
    if (truncated)
      span.setAttribute(kind === 'input' ? PROMPTLINE.INPUT_TRUNCATED : PROMPTLINE.OUTPUT_TRUNCATED, true);
  } catch (err) {
    logger.debug('capture failed:', err);
  }
}
