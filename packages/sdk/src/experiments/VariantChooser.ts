import { createHash } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { PROMPTLINE } from '@promptline/semconv';
import { isGenerationAttributes, withVariant } from '../tracing/variantContext.js';

/** One arm of an experiment: the prompt label it serves and its relative weight. */
export interface VariantArm {
  /** Registry label this arm resolves to, e.g. `production` or `variant-b`. */
  label: string;
  /** Relative weight (any non-negative number; arms are normalised to their sum). */
  weight: number;
  /** Name recorded as `promptline.experiment.arm`; defaults to the label. */
  name?: string;
}

/**
 * Options of {@link VariantChooser}: the experiment's name, its arms (labels and weights), and the
 * gradual rollout. Invalid options make the constructor throw a `TypeError` naming the problem.
 */
export interface VariantChooserOptions {
  /** Experiment name, recorded as `promptline.experiment.name` and part of the hash salt. */
  name: string;
  /** The arms (at least one); labels must match the registry's label rule (`^[a-z][a-z0-9._-]{0,63}$`). */
  arms: readonly VariantArm[];
  /**
   * Share of users (0–100) that enter the experiment; the rest get `controlLabel` and no experiment
   * attributes. Raising it only ever adds users: nobody already in the experiment leaves it or
   * changes arm. Default 100.
   */
  rolloutPercent?: number;
  /** Label served to users outside the rollout (same rule as arm labels). Default: the first arm's label. */
  controlLabel?: string;
}

/** The outcome of {@link VariantChooser.choose}. */
export interface VariantChoice {
  /** Label to fetch the prompt by. */
  label: string;
  /** Arm name, or `undefined` when the user is outside the rollout. */
  arm: string | undefined;
  /** `false` when the user fell outside the rollout percentage and got the control label. */
  inExperiment: boolean;
  experiment: string;
}

const LABEL_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;

/**
 * A/B variant chooser: picks a prompt label by weight, sticky per user id.
 *
 * The choice is a pure function of (experiment name, user id): a SHA-256 of the two gives two
 * independent uniform numbers, one for the rollout gate and one for the arm. No state, no storage:
 * every process picks the same arm for the same user.
 *
 * @example
 * ```ts
 * const chooser = new VariantChooser({
 *   name: 'summary-tone',
 *   arms: [{ label: 'production', weight: 80 }, { label: 'concise', weight: 20 }],
 *   rolloutPercent: 50,
 * });
 * const { label } = chooser.choose(user.id); // records experiment name/arm + label on the active span
 * const prompt = await prompts.get('summary', { label });
 * ```
 */
export class VariantChooser {
  readonly name: string;
  readonly rolloutPercent: number;
  readonly controlLabel: string;
  private readonly arms: readonly { label: string; name: string; upper: number }[];

  constructor(opts: VariantChooserOptions) {
    if (typeof opts.name !== 'string' || opts.name.length === 0) {
      throw new TypeError('VariantChooser: `name` must be a non-empty string');
    }
    if (!Array.isArray(opts.arms) || opts.arms.length === 0) {
      throw new TypeError(`VariantChooser(${opts.name}): \`arms\` must list at least one arm`);
    }
    let total = 0;
    for (const arm of opts.arms) {
      if (!LABEL_PATTERN.test(arm.label)) {
        throw new TypeError(
          `VariantChooser(${opts.name}): arm label ${JSON.stringify(arm.label)} must match ${LABEL_PATTERN.source}`,
        );
      }
      if (!Number.isFinite(arm.weight) || arm.weight < 0) {
        throw new TypeError(
          `VariantChooser(${opts.name}): arm ${arm.label} weight must be a finite number >= 0, got ${arm.weight}`,
        );
      }
      total += arm.weight;
    }
    if (total <= 0) throw new TypeError(`VariantChooser(${opts.name}): arm weights sum to 0`);
    const rollout = opts.rolloutPercent ?? 100;
    if (!Number.isFinite(rollout) || rollout < 0 || rollout > 100) {
      throw new TypeError(
        `VariantChooser(${opts.name}): rolloutPercent must be within 0..100, got ${rollout}`,
      );
    }
    let cumulative = 0;
    this.arms = opts.arms.map((arm) => {
      cumulative += arm.weight;
      return { label: arm.label, name: arm.name ?? arm.label, upper: cumulative / total };
    });
    if (opts.controlLabel !== undefined && !LABEL_PATTERN.test(opts.controlLabel)) {
      throw new TypeError(
        `VariantChooser(${opts.name}): controlLabel ${JSON.stringify(opts.controlLabel)} must match ${LABEL_PATTERN.source}`,
      );
    }
    this.name = opts.name;
    this.rolloutPercent = rollout;
    // Non-empty by the check above.
    this.controlLabel = opts.controlLabel ?? (opts.arms[0] as VariantArm).label;
  }

  /**
   * Picks the label for `userId` and records `promptline.experiment.name` and
   * `promptline.experiment.arm` on `span` (default: the active span, if any), plus
   * `promptline.prompt.label` when that span is a generation. Users outside the rollout get the
   * control label and no attributes. Never throws because of telemetry. To stamp generations started
   * later (including third-party instrumentation spans), use {@link VariantChooser.run}.
   */
  choose(userId: string, opts: { span?: Span; record?: boolean } = {}): VariantChoice {
    const [gate, pick] = hashUnits(`${this.name}\u0000${userId}`);
    if (gate * 100 >= this.rolloutPercent) {
      return { label: this.controlLabel, arm: undefined, inExperiment: false, experiment: this.name };
    }
    let chosen = this.arms[this.arms.length - 1] as { label: string; name: string };
    for (const arm of this.arms) {
      if (pick < arm.upper) {
        chosen = arm;
        break;
      }
    }
    if (opts.record !== false) {
      try {
        const span = opts.span ?? trace.getActiveSpan();
        if (span !== undefined) {
          const attrs: Attributes = {
            [PROMPTLINE.EXPERIMENT_NAME]: this.name,
            [PROMPTLINE.EXPERIMENT_ARM]: chosen.name,
          };
          // A label on a parent that is not a generation would be counted as a prompt link.
          const startAttrs = (span as Partial<{ attributes: Attributes }>).attributes;
          if (startAttrs !== undefined && isGenerationAttributes(startAttrs)) {
            attrs[PROMPTLINE.PROMPT_LABEL] = chosen.label;
          }
          span.setAttributes(attrs);
        }
      } catch {
        // Telemetry never breaks the caller.
      }
    }
    return { label: chosen.label, arm: chosen.name, inExperiment: true, experiment: this.name };
  }

  /**
   * Chooses for `userId` (as {@link VariantChooser.choose}) and runs `fn(choice)` with the choice in
   * context: every GenAI span started inside — `observe()` / `startActiveGeneration()` generations
   * and third-party instrumentation spans (through `PromptSpanProcessor`) — carries
   * `promptline.experiment.name`, `promptline.experiment.arm` and the arm's `promptline.prompt.label`.
   * Spans that are not generations get nothing. Users outside the rollout run `fn` with no experiment.
   *
   * @example
   * ```ts
   * const reply = await chooser.run(user.id, async ({ label }) => {
   *   const prompt = await prompts.get('qa/answer', { label, fallback: 'Answer: {{question}}' });
   *   const content = prompt.compile({ question });
   *   return withPrompt(prompt, () =>
   *     openai.chat.completions.create({ model, messages: [{ role: 'user', content }] }),
   *   );
   * });
   * ```
   */
  run<T>(userId: string, fn: (choice: VariantChoice) => T, opts: { span?: Span; record?: boolean } = {}): T {
    const choice = this.choose(userId, opts);
    if (!choice.inExperiment || choice.arm === undefined) return fn(choice);
    const { arm } = choice;
    return withVariant({ experiment: this.name, arm, label: choice.label }, () => fn(choice));
  }
}

/** Two independent uniform numbers in [0, 1) from one SHA-256 digest (48 bits each). */
function hashUnits(key: string): [number, number] {
  const digest = createHash('sha256').update(key).digest();
  return [digest.readUIntBE(0, 6) / 2 ** 48, digest.readUIntBE(6, 6) / 2 ** 48];
}
