import { parsePromptData, PromptDataError, promptHash } from '@promptline/prompt';
import type { ChatMessageTemplate, ChatPlaceholder, PromptData, PromptExample } from '@promptline/prompt';
import { Ajv } from 'ajv';
import { RegistryError } from './RegistryError.js';
import type { PromptContent } from './types.js';

/** Prompt names: the prompt model's rule (letters, digits, `_ . - /`), at most 200 characters, no empty segment. */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,199}$/;
/** Label names: lowercase, starting with a letter, at most 64 characters. */
export const LABEL_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;
/** The label every create moves; it cannot be moved by request. */
export const LATEST_LABEL = 'latest';

/**
 * Deepest nesting of objects and arrays accepted in a JSON field (config, outputSchema, examples,
 * metadata), as in OTLP JSON. Deeper values would overflow the stack of every recursive walk after
 * this one (hashing, schema compilation, serialisation), which is a server error for bad input.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests objects / arrays deeper than `max` levels (walked without recursion). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

function checkDepth(value: unknown, field: string): void {
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
    throw new RegistryError(
      400,
      'invalid_request',
      `${field} is nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`,
    );
  }
}

/** Size limits of one prompt version (bytes of UTF-8). */
export interface RegistryLimits {
  /** Template, or the sum of all chat message contents. Default 131072 (128 KiB). */
  maxTemplateBytes?: number;
  /** Each of config, outputSchema, examples, metadata as JSON. Default 262144 (256 KiB). */
  maxFieldBytes?: number;
  /** Chat messages per prompt. Default 500. */
  maxMessages?: number;
  /** Commit message characters. Default 2000. */
  maxCommitMessageChars?: number;
}

/** A validated create-version request. */
export interface CreateVersionRequest {
  name: string;
  content: PromptContent;
  /** `promptHash` (@promptline/prompt) of the content: equal hashes mean equal content. */
  contentHash: string;
  commitMessage: string;
  /** Labels to point at the new version besides `latest`. */
  labels: string[];
  /** When set, the request must create exactly this version number (else 409). */
  expectedVersion: number | undefined;
  /** When `true` and the latest version has the same content, nothing is created. */
  onlyIfChanged: boolean;
}

export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.includes('//') || name.endsWith('/')) {
    throw new RegistryError(
      400,
      'invalid_name',
      `prompt name ${JSON.stringify(name)} is invalid: use 1-200 letters, digits, "_", ".", "-" or "/" (no empty path segment), starting with a letter, digit or "_"`,
    );
  }
  return name;
}

export function checkLabel(label: unknown): string {
  if (typeof label !== 'string' || !LABEL_PATTERN.test(label)) {
    throw new RegistryError(
      400,
      'invalid_label',
      `label ${JSON.stringify(label)} is invalid: use 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter`,
    );
  }
  return label;
}

export function checkVersion(version: unknown, what = 'version'): number {
  const n = typeof version === 'string' && /^[0-9]{1,10}$/.test(version) ? Number(version) : version;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 4_294_967_295) {
    throw new RegistryError(
      400,
      'invalid_request',
      `${what} must be a positive integer, got ${JSON.stringify(version)}`,
    );
  }
  return n;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true });

/**
 * Parses an output schema given as an object or as a JSON string and checks it is a JSON Schema
 * (draft-07 meta-schema, and it must compile: e.g. every `$ref` resolves).
 */
function checkOutputSchema(raw: unknown, maxBytes: number): Record<string, unknown> {
  let schema = raw;
  if (typeof raw === 'string') {
    if (byteLength(raw) > maxBytes) {
      throw new RegistryError(
        413,
        'too_large',
        `outputSchema is ${byteLength(raw)} bytes; the limit is ${maxBytes}`,
      );
    }
    try {
      schema = JSON.parse(raw);
    } catch (err) {
      throw new RegistryError(
        400,
        'invalid_schema',
        `outputSchema is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  if (!isRecord(schema)) {
    throw new RegistryError(400, 'invalid_schema', 'outputSchema must be a JSON Schema object');
  }
  checkDepth(schema, 'outputSchema');
  if (!ajv.validateSchema(schema)) {
    const problems = (ajv.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw new RegistryError(
      400,
      'invalid_schema',
      `outputSchema is not a valid JSON Schema: ${problems.join('; ')}`,
    );
  }
  try {
    ajv.compile(schema);
  } catch (err) {
    throw new RegistryError(
      400,
      'invalid_schema',
      `outputSchema does not compile: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    ajv.removeSchema(schema);
  }
  return schema;
}

/**
 * Parses every template with the prompt model's own parser (@promptline/prompt), so the registry never stores a version that
 * every `PromptClient` would then reject (e.g. `{{ bad name }}` or an unclosed `{{x`).
 */
function checkTemplates(name: string, content: PromptContent): PromptData {
  try {
    return parsePromptData({ name, version: 1, ...content });
  } catch (err) {
    if (!(err instanceof PromptDataError)) throw err;
    throw new RegistryError(400, 'invalid_prompt', `prompt "${name}" is invalid: ${err.problems.join('; ')}`);
  }
}

function checkJsonField(value: unknown, field: string, maxBytes: number): void {
  checkDepth(value, field);
  const size = byteLength(JSON.stringify(value));
  if (size > maxBytes) {
    throw new RegistryError(413, 'too_large', `${field} is ${size} bytes as JSON; the limit is ${maxBytes}`);
  }
}

/**
 * Validates the body of a create-version request, field by field; the first problem found is thrown
 * as a {@link RegistryError} naming the field.
 *
 * Body: `{ name, type?, template | messages, config?, outputSchema?, examples?, metadata?,
 * commitMessage?, labels?, version?, onlyIfChanged? }` — `PromptData` plus request fields.
 */
export function parseCreateRequest(body: unknown, limits: RegistryLimits = {}): CreateVersionRequest {
  const maxTemplateBytes = limits.maxTemplateBytes ?? 131_072;
  const maxFieldBytes = limits.maxFieldBytes ?? 262_144;
  const maxMessages = limits.maxMessages ?? 500;
  const maxCommitChars = limits.maxCommitMessageChars ?? 2000;
  if (!isRecord(body)) throw new RegistryError(400, 'invalid_request', 'request body must be a JSON object');
  const name = checkName(body.name);
  const type = body.type ?? ('messages' in body ? 'chat' : 'text');
  let content: PromptContent;
  if (type === 'text') {
    if (typeof body.template !== 'string' || body.template === '') {
      throw new RegistryError(400, 'invalid_prompt', 'a text prompt needs "template": a non-empty string');
    }
    const size = byteLength(body.template);
    if (size > maxTemplateBytes) {
      throw new RegistryError(
        413,
        'too_large',
        `template is ${size} bytes; the limit is ${maxTemplateBytes}`,
      );
    }
    content = { type: 'text', template: body.template };
  } else if (type === 'chat') {
    const raw = body.messages;
    if (!Array.isArray(raw) || raw.length === 0) {
      throw new RegistryError(400, 'invalid_prompt', 'a chat prompt needs "messages": a non-empty list');
    }
    if (raw.length > maxMessages) {
      throw new RegistryError(
        413,
        'too_large',
        `messages has ${raw.length} entries; the limit is ${maxMessages}`,
      );
    }
    let size = 0;
    const messages = raw.map((m: unknown, i): ChatMessageTemplate | ChatPlaceholder => {
      if (isRecord(m) && m.type === 'placeholder') {
        if (typeof m.name !== 'string' || m.name === '') {
          throw new RegistryError(400, 'invalid_prompt', `messages[${i}]: a placeholder needs "name"`);
        }
        return { type: 'placeholder', name: m.name };
      }
      if (isRecord(m) && typeof m.role === 'string' && m.role !== '' && typeof m.content === 'string') {
        size += byteLength(m.content);
        return { role: m.role, content: m.content };
      }
      throw new RegistryError(
        400,
        'invalid_prompt',
        `messages[${i}] must be { role, content } (strings) or { type: "placeholder", name }`,
      );
    });
    if (size > maxTemplateBytes) {
      throw new RegistryError(
        413,
        'too_large',
        `template is ${size} bytes (sum of message contents); the limit is ${maxTemplateBytes}`,
      );
    }
    content = { type: 'chat', messages };
  } else {
    throw new RegistryError(
      400,
      'invalid_prompt',
      `"type" must be "text" or "chat", got ${JSON.stringify(type)}`,
    );
  }
  if (body.config !== undefined) {
    if (!isRecord(body.config)) throw new RegistryError(400, 'invalid_request', '"config" must be an object');
    checkJsonField(body.config, 'config', maxFieldBytes);
    content.config = body.config;
  }
  if (body.outputSchema !== undefined && body.outputSchema !== null) {
    content.outputSchema = checkOutputSchema(body.outputSchema, maxFieldBytes);
    checkJsonField(content.outputSchema, 'outputSchema', maxFieldBytes);
  }
  if (body.examples !== undefined) {
    if (!Array.isArray(body.examples) || !body.examples.every((e) => isRecord(e) && 'input' in e)) {
      throw new RegistryError(
        400,
        'invalid_request',
        '"examples" must be a list of { input, output } objects',
      );
    }
    checkJsonField(body.examples, 'examples', maxFieldBytes);
    content.examples = body.examples as PromptExample[];
  }
  if (body.metadata !== undefined) {
    if (!isRecord(body.metadata))
      throw new RegistryError(400, 'invalid_request', '"metadata" must be an object');
    checkJsonField(body.metadata, 'metadata', maxFieldBytes);
    content.metadata = body.metadata;
  }
  const commitMessage = body.commitMessage ?? '';
  if (typeof commitMessage !== 'string') {
    throw new RegistryError(400, 'invalid_request', '"commitMessage" must be a string');
  }
  if (commitMessage.length > maxCommitChars) {
    throw new RegistryError(
      413,
      'too_large',
      `commitMessage has ${commitMessage.length} characters; the limit is ${maxCommitChars}`,
    );
  }
  const labelsRaw = body.labels ?? [];
  if (!Array.isArray(labelsRaw))
    throw new RegistryError(400, 'invalid_label', '"labels" must be a list of labels');
  const labels = [...new Set(labelsRaw.map((l) => checkLabel(l)))].filter((l) => l !== LATEST_LABEL);
  const expectedVersion = body.version === undefined ? undefined : checkVersion(body.version);
  if (body.onlyIfChanged !== undefined && typeof body.onlyIfChanged !== 'boolean') {
    throw new RegistryError(400, 'invalid_request', '"onlyIfChanged" must be true or false');
  }
  return {
    name,
    content,
    contentHash: promptHash(checkTemplates(name, content)),
    commitMessage,
    labels,
    expectedVersion,
    onlyIfChanged: body.onlyIfChanged === true,
  };
}
