import type {
  ChatMessage,
  ChatMessageTemplate,
  ChatPlaceholder,
  PromptData,
  PromptExample,
} from './PromptData.js';
import { parsePromptData, promptHash } from './PromptData.js';
import type { TemplateSegment } from './template.js';
import { parseTemplate, renderSegments, templateVariables } from './template.js';
import { diffPrompts, type PromptDiff } from './promptDiff.js';

/** Options for {@link Prompt.compile}. */
export interface CompileOptions {
  /** Also fail when `vars` holds variables the prompt does not use. Default `false`. */
  readonly strict?: boolean;
}

/** `compile()` failed: lists every missing (and, in strict mode, unused) variable at once. */
export class PromptCompileError extends Error {
  override readonly name = 'PromptCompileError';
  constructor(
    readonly promptName: string,
    readonly missing: readonly string[],
    readonly unused: readonly string[],
  ) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing variables: ${missing.join(', ')}`);
    if (unused.length > 0) parts.push(`unused variables: ${unused.join(', ')}`);
    super(`cannot compile prompt "${promptName}": ${parts.join('; ')}`);
  }
}

type ParsedMessage = { readonly role: string; readonly segments: TemplateSegment[] } | ChatPlaceholder;

/** How a prompt was obtained; set by `PromptClient`. */
export interface PromptOrigin {
  /** The label the version was resolved through, when fetched by label. */
  readonly label?: string;
  /** `true` when the prompt is the caller's fallback: spans never link to it. */
  readonly isFallback?: boolean;
}

/**
 * One version of a prompt: a text template or chat messages with `{{variable}}` placeholders, plus
 * model config, output schema, few-shot examples and metadata. Immutable.
 *
 * @example
 * ```ts
 * const p = new Prompt({ name: 'greet', version: 2, type: 'text', template: 'Hello {{name|friend}}!' });
 * p.compile({ name: 'Ada' }); // 'Hello Ada!'
 * p.compile({});              // 'Hello friend!'
 * ```
 */
export class Prompt {
  readonly name: string;
  /** Positive integer; `0` only for a fallback prompt. */
  readonly version: number;
  readonly type: 'text' | 'chat';
  readonly labels: readonly string[];
  /** The label this version was resolved through (`production`, …), when fetched by label. */
  readonly label: string | undefined;
  readonly config: Readonly<Record<string, unknown>>;
  readonly outputSchema: Readonly<Record<string, unknown>> | undefined;
  readonly examples: readonly PromptExample[];
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Content hash (see `promptHash`). */
  readonly hash: string;
  /** `true` when this is the caller's fallback; such a prompt is never linked on spans. */
  readonly isFallback: boolean;
  /** Variable names used by the template(s), placeholders included. */
  readonly variables: readonly string[];
  /** The validated plain data this prompt was built from. */
  readonly data: PromptData;

  readonly #text: TemplateSegment[] | undefined;
  readonly #messages: ParsedMessage[] | undefined;

  /** Builds a prompt from plain data (validated; throws `PromptDataError` naming every problem). */
  constructor(data: PromptData, origin: PromptOrigin = {}) {
    const valid = origin.isFallback === true && data.version === 0 ? data : parsePromptData(data);
    this.data = valid;
    this.name = valid.name;
    this.version = valid.version;
    this.type = valid.type;
    this.labels = valid.labels ?? [];
    this.label = origin.label;
    this.config = valid.config ?? {};
    this.outputSchema = valid.outputSchema;
    this.examples = valid.examples ?? [];
    this.metadata = valid.metadata ?? {};
    this.isFallback = origin.isFallback === true;
    this.hash = promptHash(valid);
    if (valid.type === 'text') {
      this.#text = parseTemplate(valid.template);
      this.variables = templateVariables(this.#text);
    } else {
      const names: string[] = [];
      this.#messages = valid.messages.map((m) => {
        if ('type' in m) {
          if (!names.includes(m.name)) names.push(m.name);
          return m;
        }
        const segments = parseTemplate(m.content);
        for (const v of templateVariables(segments)) if (!names.includes(v)) names.push(v);
        return { role: m.role, segments };
      });
      this.variables = names;
    }
  }

  /** The text template (text prompts) or `undefined`. */
  get template(): string | undefined {
    return this.data.type === 'text' ? this.data.template : undefined;
  }

  /** The message templates (chat prompts) or `undefined`. */
  get messages(): readonly (ChatMessageTemplate | ChatPlaceholder)[] | undefined {
    return this.data.type === 'chat' ? this.data.messages : undefined;
  }

  /**
   * Fills the placeholders. Text prompts return a string; chat prompts return messages, with each
   * placeholder message replaced by the list of messages passed under its name.
   *
   * @throws {@link PromptCompileError} listing every missing variable (and unused ones when `strict`).
   * @example
   * ```ts
   * chat.compile({ topic: 'billing', history: [{ role: 'user', content: 'hi' }] });
   * ```
   */
  compile(
    vars: Readonly<Record<string, unknown>> = {},
    options: CompileOptions = {},
  ): string | ChatMessage[] {
    const missing: string[] = [];
    let result: string | ChatMessage[];
    if (this.#text !== undefined) {
      result = renderSegments(this.#text, vars, missing);
    } else {
      const out: ChatMessage[] = [];
      for (const m of this.#messages ?? []) {
        if ('type' in m) {
          const value = Object.prototype.hasOwnProperty.call(vars, m.name) ? vars[m.name] : undefined;
          if (value === undefined) {
            if (!missing.includes(m.name)) missing.push(m.name);
          } else if (!Array.isArray(value) || !value.every(isMessage)) {
            throw new TypeError(
              `cannot compile prompt "${this.name}": placeholder "${m.name}" expects a list of { role, content } messages`,
            );
          } else {
            for (const msg of value) out.push({ role: msg.role, content: msg.content });
          }
        } else {
          out.push({ role: m.role, content: renderSegments(m.segments, vars, missing) });
        }
      }
      result = out;
    }
    const unused =
      options.strict === true ? Object.keys(vars).filter((k) => !this.variables.includes(k)) : [];
    if (missing.length > 0 || unused.length > 0) throw new PromptCompileError(this.name, missing, unused);
    return result;
  }

  /** Compiles a text prompt; throws a `TypeError` for a chat prompt. */
  compileText(vars: Readonly<Record<string, unknown>> = {}, options?: CompileOptions): string {
    if (this.type !== 'text')
      throw new TypeError(`prompt "${this.name}" is a chat prompt: use compileChat()`);
    return this.compile(vars, options) as string;
  }

  /** Compiles a chat prompt; throws a `TypeError` for a text prompt. */
  compileChat(vars: Readonly<Record<string, unknown>> = {}, options?: CompileOptions): ChatMessage[] {
    if (this.type !== 'chat')
      throw new TypeError(`prompt "${this.name}" is a text prompt: use compileText()`);
    return this.compile(vars, options) as ChatMessage[];
  }

  /**
   * Compares this prompt (the old side) with `other` (the new side): unified diff of the template or
   * messages, similarity ratio, added/removed lines, variables added/removed and config changes.
   *
   * @example
   * ```ts
   * const d = v1.diff(v2);
   * const { unified, similarity, variablesAdded } = d; // a unified diff, 0..1, ['tone']
   * ```
   */
  diff(other: Prompt): PromptDiff {
    return diffPrompts(this, other);
  }

  /** Plain data for JSON. */
  toJSON(): PromptData {
    return this.data;
  }
}

function isMessage(v: unknown): v is ChatMessage {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ChatMessage).role === 'string' &&
    typeof (v as ChatMessage).content === 'string'
  );
}
