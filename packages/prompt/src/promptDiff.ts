import { createTwoFilesPatch, diffChars, diffLines } from 'diff';
import type { ChatMessageTemplate, ChatPlaceholder } from './PromptData.js';

/** One model-config key that differs between two prompt versions. */
export interface ConfigChange {
  readonly key: string;
  /** `undefined` when the key was added. */
  readonly before: unknown;
  /** `undefined` when the key was removed. */
  readonly after: unknown;
}

/** What changed between two prompt versions (see `Prompt.diff`). */
export interface PromptDiff {
  /** Unified diff of the template (text) or the rendered message list (chat). */
  readonly unified: string;
  /** 0..1: 2 × matching characters ÷ total characters (1 = identical). */
  readonly similarity: number;
  readonly addedLines: number;
  readonly removedLines: number;
  readonly variablesAdded: readonly string[];
  readonly variablesRemoved: readonly string[];
  readonly configChanges: readonly ConfigChange[];
  /** `true` when the content hashes are equal. */
  readonly identical: boolean;
}

/** What a diff reads of each side; a `Prompt` has all of it. */
export interface DiffSide {
  readonly name: string;
  readonly version: number;
  readonly template: string | undefined;
  readonly messages: readonly (ChatMessageTemplate | ChatPlaceholder)[] | undefined;
  readonly config: Readonly<Record<string, unknown>>;
  readonly variables: readonly string[];
  readonly hash: string;
}

/** The text a prompt's body is diffed as: the template, or one `[role]` block per chat message. */
function bodyText(p: DiffSide): string {
  if (p.template !== undefined) return p.template.endsWith('\n') ? p.template : `${p.template}\n`;
  const lines: string[] = [];
  for (const m of p.messages ?? []) {
    if ('type' in m) lines.push(`[placeholder: ${m.name}]`);
    else lines.push(`[${m.role}]`, m.content);
  }
  return `${lines.join('\n')}\n`;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** @internal — use `Prompt.diff`. */
export function diffPrompts(a: DiffSide, b: DiffSide): PromptDiff {
  const oldText = bodyText(a);
  const newText = bodyText(b);
  const unified = createTwoFilesPatch(
    `${a.name}@${a.version}`,
    `${b.name}@${b.version}`,
    oldText,
    newText,
    undefined,
    undefined,
    { context: 3 },
  );
  let addedLines = 0;
  let removedLines = 0;
  for (const part of diffLines(oldText, newText)) {
    if (part.added) addedLines += part.count ?? 0;
    else if (part.removed) removedLines += part.count ?? 0;
  }
  let common = 0;
  for (const part of diffChars(oldText, newText))
    if (!part.added && !part.removed) common += part.value.length;
  const total = oldText.length + newText.length;
  const similarity = total === 0 ? 1 : (2 * common) / total;
  const keys = [...new Set([...Object.keys(a.config), ...Object.keys(b.config)])].sort();
  const configChanges: ConfigChange[] = [];
  for (const key of keys) {
    const before = a.config[key];
    const after = b.config[key];
    if (!same(before, after)) configChanges.push({ key, before, after });
  }
  return {
    unified,
    similarity,
    addedLines,
    removedLines,
    variablesAdded: b.variables.filter((v) => !a.variables.includes(v)),
    variablesRemoved: a.variables.filter((v) => !b.variables.includes(v)),
    configChanges,
    identical: a.hash === b.hash,
  };
}
