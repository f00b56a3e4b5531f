import { createHash } from 'node:crypto';
import type { PromptContent } from './types.js';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Content hash of a version: SHA-256 (hex, first 16 characters) of the canonical JSON (sorted keys)
 * of what is sent to the model — type, template or messages, config, output schema, examples.
 * The same algorithm as the SDK's `promptHash` (a cross-package test holds them equal), so a prompt
 * file and a registry version with equal hashes have equal content.
 */
export function contentHash(content: PromptContent): string {
  const hashed = {
    type: content.type,
    body: content.type === 'text' ? content.template : content.messages,
    config: content.config,
    outputSchema: content.outputSchema,
    examples: content.examples,
  };
  return createHash('sha256').update(canonical(hashed)).digest('hex').slice(0, 16);
}
