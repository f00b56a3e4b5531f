import { createHash } from 'node:crypto';
import { parseTemplate, TemplateSyntaxError } from './template.js';

/** A chat message template: `content` is a `{{variable}}` template. */
export interface ChatMessageTemplate {
  readonly role: string;
  readonly content: string;
}

/** A chat slot filled at compile time with a list of messages (e.g. conversation history). */
export interface ChatPlaceholder {
  readonly type: 'placeholder';
  readonly name: string;
}

/** A compiled chat message. */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

/** One few-shot example attached to a prompt. */
export interface PromptExample {
  readonly input: unknown;
  readonly output: unknown;
}

interface PromptDataBase {
  /** Prompt name, e.g. `support/triage`. */
  readonly name: string;
  /** Positive integer; a given name + version never changes content. */
  readonly version: number;
  /** Labels pointing at this version (`production`, `staging`, …). */
  readonly labels?: readonly string[];
  /** Model parameters (`model`, `temperature`, …). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** JSON Schema the model's structured output must satisfy. */
  readonly outputSchema?: Readonly<Record<string, unknown>>;
  readonly examples?: readonly PromptExample[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A text prompt as plain data. */
export interface TextPromptData extends PromptDataBase {
  readonly type: 'text';
  readonly template: string;
}

/** A chat prompt as plain data. */
export interface ChatPromptData extends PromptDataBase {
  readonly type: 'chat';
  readonly messages: readonly (ChatMessageTemplate | ChatPlaceholder)[];
}

/**
 * A prompt version as plain, JSON-serialisable data: what a {@link PromptSource} returns, what
 * `loadPromptFiles` reads, and what the registry stores.
 */
export type PromptData = TextPromptData | ChatPromptData;

/** Prompt data that failed validation; `problems` lists every problem found. */
export class PromptDataError extends Error {
  override readonly name = 'PromptDataError';
  constructor(
    readonly problems: readonly string[],
    where = 'prompt',
  ) {
    super(`invalid ${where}: ${problems.join('; ')}`);
  }
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates unknown input (parsed JSON/YAML) as {@link PromptData}, collecting every problem.
 * `type` may be omitted: `template` means text, `messages` means chat.
 *
 * @throws {@link PromptDataError} naming each problem.
 * @example
 * ```ts
 * const data = parsePromptData({ name: 'greet', version: 1, template: 'Hi {{name}}' });
 * ```
 */
export function parsePromptData(input: unknown, where = 'prompt'): PromptData {
  const problems: string[] = [];
  if (!isRecord(input)) throw new PromptDataError(['expected an object'], where);
  const { name, version, labels, config, outputSchema, examples, metadata } = input;
  if (typeof name !== 'string' || !NAME.test(name)) {
    problems.push(
      `"name" must be a non-empty string of letters, digits, "_", ".", "-", "/" (got ${JSON.stringify(name)})`,
    );
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    problems.push(`"version" must be a positive integer (got ${JSON.stringify(version)})`);
  }
  if (
    labels !== undefined &&
    (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string' && l !== ''))
  ) {
    problems.push('"labels" must be a list of non-empty strings');
  }
  if (config !== undefined && !isRecord(config)) problems.push('"config" must be an object');
  if (outputSchema !== undefined && !isRecord(outputSchema))
    problems.push('"outputSchema" must be a JSON Schema object');
  if (metadata !== undefined && !isRecord(metadata)) problems.push('"metadata" must be an object');
  if (
    examples !== undefined &&
    (!Array.isArray(examples) || !examples.every((e) => isRecord(e) && 'input' in e))
  ) {
    problems.push('"examples" must be a list of { input, output } objects');
  }
  const type = input.type ?? ('messages' in input ? 'chat' : 'text');
  let body:
    | { type: 'text'; template: string }
    | { type: 'chat'; messages: (ChatMessageTemplate | ChatPlaceholder)[] }
    | undefined;
  if (type === 'text') {
    if (typeof input.template !== 'string') problems.push('a text prompt needs "template" (a string)');
    else {
      checkTemplate(input.template, '"template"', problems);
      body = { type: 'text', template: input.template };
    }
  } else if (type === 'chat') {
    const raw = input.messages;
    if (!Array.isArray(raw) || raw.length === 0)
      problems.push('a chat prompt needs "messages" (a non-empty list)');
    else {
      const messages: (ChatMessageTemplate | ChatPlaceholder)[] = [];
      raw.forEach((m: unknown, i) => {
        if (isRecord(m) && m.type === 'placeholder') {
          if (typeof m.name !== 'string' || m.name === '')
            problems.push(`messages[${i}]: a placeholder needs "name"`);
          else messages.push({ type: 'placeholder', name: m.name });
        } else if (isRecord(m) && typeof m.role === 'string' && typeof m.content === 'string') {
          checkTemplate(m.content, `messages[${i}].content`, problems);
          messages.push({ role: m.role, content: m.content });
        } else {
          problems.push(`messages[${i}] must be { role, content } or { type: placeholder, name }`);
        }
      });
      body = { type: 'chat', messages };
    }
  } else {
    problems.push(`"type" must be "text" or "chat" (got ${JSON.stringify(type)})`);
  }
  if (problems.length > 0 || body === undefined) throw new PromptDataError(problems, where);
  return {
    name: name as string,
    version: version as number,
    ...body,
    ...(labels === undefined ? {} : { labels: labels as string[] }),
    ...(config === undefined ? {} : { config: config as Record<string, unknown> }),
    ...(outputSchema === undefined ? {} : { outputSchema: outputSchema as Record<string, unknown> }),
    ...(examples === undefined ? {} : { examples: examples as PromptExample[] }),
    ...(metadata === undefined ? {} : { metadata: metadata as Record<string, unknown> }),
  };
}

function checkTemplate(template: string, where: string, problems: string[]): void {
  try {
    parseTemplate(template);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) problems.push(`${where}: ${err.message}`);
    else throw err;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Content hash of a prompt version: SHA-256 (hex, first 16 chars) over the canonical JSON of what is
 * sent to the model — type, template or messages, config, output schema and examples. Name, version,
 * labels and metadata are not part of it, so moving a label never changes the hash.
 *
 * @example
 * ```ts
 * promptHash({ name: 'greet', version: 1, type: 'text', template: 'Hi {{name}}' }); // 16 hex chars
 * ```
 */
export function promptHash(data: PromptData): string {
  const content = {
    type: data.type,
    body: data.type === 'text' ? data.template : data.messages,
    config: data.config,
    outputSchema: data.outputSchema,
    examples: data.examples,
  };
  return createHash('sha256').update(canonical(content)).digest('hex').slice(0, 16);
}
