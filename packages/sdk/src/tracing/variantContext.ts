import type { Attributes, Context } from '@opentelemetry/api';
import { context, createContextKey } from '@opentelemetry/api';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';

const VARIANT_KEY = createContextKey('promptline.experiment');

/** The experiment arm carried in context by {@link withVariant}. */
export interface VariantInContext {
  /** Experiment name (`promptline.experiment.name`). */
  readonly experiment: string;
  /** Arm name (`promptline.experiment.arm`). */
  readonly arm: string;
  /** Label the arm serves (`promptline.prompt.label`, set only when the span names no label itself). */
  readonly label: string;
}

/** @internal the experiment arm `withVariant` put in `ctx`, if any. */
export function variantFromContext(ctx: Context): VariantInContext | undefined {
  return ctx.getValue(VARIANT_KEY) as VariantInContext | undefined;
}

/**
 * @internal the attributes a generation started inside `withVariant` gets: experiment name and arm,
 * and the arm's label unless the span (`spanAttributes`) already names a label or is a fallback.
 */
export function variantAttributes(variant: VariantInContext, spanAttributes: Attributes): Attributes {
  const attrs: Attributes = {
    [PROMPTLINE.EXPERIMENT_NAME]: variant.experiment,
    [PROMPTLINE.EXPERIMENT_ARM]: variant.arm,
  };
  if (
    spanAttributes[PROMPTLINE.PROMPT_LABEL] === undefined &&
    spanAttributes[PROMPTLINE.PROMPT_FALLBACK] === undefined
  ) {
    attrs[PROMPTLINE.PROMPT_LABEL] = variant.label;
  }
  return attrs;
}

/**
 * @internal whether span attributes (as they are when the span starts) mark a GenAI generation:
 * `promptline.observation.type: generation`, `gen_ai.operation.name`, `gen_ai.provider.name` or
 * `gen_ai.system`.
 */
export function isGenerationAttributes(attrs: Attributes): boolean {
  const type = attrs[PROMPTLINE.OBSERVATION_TYPE];
  if (type !== undefined) return type === 'generation';
  return (
    attrs[GEN_AI.OPERATION_NAME] !== undefined ||
    attrs[GEN_AI.PROVIDER_NAME] !== undefined ||
    attrs[GEN_AI.SYSTEM] !== undefined
  );
}

/**
 * Runs `fn` with an experiment arm as the current one: every GenAI span started inside — by
 * `observe()`, `startActiveGeneration()` or third-party instrumentations (through
 * `PromptSpanProcessor`) — carries `promptline.experiment.name`, `promptline.experiment.arm` and the
 * arm's `promptline.prompt.label`. Spans that are not generations get nothing.
 * `VariantChooser.run()` chooses and calls this for you.
 *
 * @example
 * ```ts
 * const choice = chooser.choose(user.id, { record: false });
 * if (choice.arm !== undefined) {
 *   await withVariant({ experiment: choice.experiment, arm: choice.arm, label: choice.label }, () => answer(q));
 * }
 * ```
 */
export function withVariant<T>(variant: VariantInContext, fn: () => T): T {
  return context.with(context.active().setValue(VARIANT_KEY, variant), fn);
}
