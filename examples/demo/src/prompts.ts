import type { PromptData, PromptSelector, PromptSource } from '@promptline/sdk';
import { PromptNotFoundError } from '@promptline/sdk';

import type { StandInProfile } from './llmStandIn.js';

/**
 * The demo's two prompts, three versions each. Each version's system message carries a phrase the
 * stand-in model recognises, so versions differ in latency, answer length (tokens) and quality —
 * the differences the per-version table should make visible.
 */
export const DEMO_PROMPTS: readonly PromptData[] = [
  {
    name: 'math-tutor',
    version: 1,
    type: 'chat',
    config: { model: 'gpt-4o-mini', temperature: 0 },
    messages: [
      { role: 'system', content: 'You are a math tutor. Answer briefly.' },
      { role: 'user', content: 'What is {{a}} + {{b}}?' },
    ],
  },
  {
    name: 'math-tutor',
    version: 2,
    type: 'chat',
    config: { model: 'gpt-4o', temperature: 0 },
    messages: [
      { role: 'system', content: 'You are a careful math tutor. Think step by step, then give the answer.' },
      { role: 'user', content: 'What is {{a}} + {{b}}?' },
    ],
  },
  {
    name: 'math-tutor',
    version: 3,
    type: 'chat',
    config: { model: 'gpt-4o-mini', temperature: 0 },
    messages: [
      { role: 'system', content: 'You are a math tutor. Reply with the number only.' },
      { role: 'user', content: 'What is {{a}} + {{b}}?' },
    ],
  },
  {
    name: 'support-reply',
    version: 1,
    type: 'chat',
    config: { model: 'gpt-4o-mini', temperature: 0.2 },
    messages: [
      { role: 'system', content: 'You are a support agent for an online shop.' },
      { role: 'user', content: '{{ticket}}' },
    ],
  },
  {
    name: 'support-reply',
    version: 2,
    type: 'chat',
    config: { model: 'gpt-4o-mini', temperature: 0.2 },
    messages: [
      {
        role: 'system',
        content: 'You are a friendly support agent for an online shop. Always quote the order number back.',
      },
      { role: 'user', content: '{{ticket}}' },
    ],
  },
  {
    name: 'support-reply',
    version: 3,
    type: 'chat',
    config: { model: 'gpt-4o', temperature: 0.2 },
    messages: [
      {
        role: 'system',
        content:
          'You are a senior support agent. Explain the situation in detail and quote the order number.',
      },
      { role: 'user', content: '{{ticket}}' },
    ],
  },
];

/**
 * How the stand-in model answers each version, matched on a phrase only that version's system
 * message contains (the first matching profile wins, so no phrase may occur in another version).
 */
export const DEMO_PROFILES: readonly StandInProfile[] = [
  { match: 'Answer briefly.', latencyMs: 220, jitterMs: 160, outputTokens: 14, quality: 0.7 },
  {
    match: 'Think step by step',
    latencyMs: 520,
    jitterMs: 400,
    ttftMs: 160,
    outputTokens: 70,
    quality: 0.97,
  },
  { match: 'number only', latencyMs: 90, jitterMs: 60, outputTokens: 1, quality: 0.85 },
  {
    match: 'You are a support agent for an online shop.',
    latencyMs: 480,
    jitterMs: 300,
    ttftMs: 200,
    outputTokens: 30,
    quality: 0.55,
    errorRate: 0.06,
  },
  {
    match: 'Always quote the order number',
    latencyMs: 300,
    jitterMs: 180,
    ttftMs: 90,
    outputTokens: 36,
    quality: 0.9,
    errorRate: 0.02,
  },
  {
    match: 'Explain the situation in detail',
    latencyMs: 700,
    jitterMs: 500,
    ttftMs: 240,
    outputTokens: 110,
    quality: 0.93,
  },
];

/**
 * An in-memory prompt store whose labels can move while the app runs: the demo's stand-in for the
 * prompt registry. `production` starts on v1 and `canary` on v3; {@link moveLabel} re-points one.
 */
export class DemoPromptStore implements PromptSource {
  readonly #labels = new Map<string, number>();

  constructor(readonly prompts: readonly PromptData[] = DEMO_PROMPTS) {
    for (const name of new Set(prompts.map((p) => p.name))) {
      this.moveLabel(name, 'production', 1);
      this.moveLabel(name, 'canary', 3);
    }
  }

  /** Points `label` of prompt `name` at `version`. */
  moveLabel(name: string, label: string, version: number): void {
    this.#labels.set(`${name}\u0000${label}`, version);
  }

  labelVersion(name: string, label: string): number | undefined {
    return this.#labels.get(`${name}\u0000${label}`);
  }

  fetchPrompt(name: string, selector: PromptSelector): Promise<PromptData> {
    const version = selector.label !== undefined ? this.labelVersion(name, selector.label) : selector.version;
    const found = this.prompts.find((p) => p.name === name && p.version === version);
    if (found === undefined) return Promise.reject(new PromptNotFoundError(name, selector));
    const labels = [...this.#labels]
      .filter(([key, v]) => key.startsWith(`${name}\u0000`) && v === version)
      .map(([key]) => key.slice(name.length + 1));
    return Promise.resolve({ ...found, labels });
  }
}
