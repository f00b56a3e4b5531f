import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { logger } from '../logger.js';
import { promptAttributes, promptFromContext } from './promptContext.js';
import { isGenerationAttributes, variantAttributes, variantFromContext } from './variantContext.js';

/**
 * Stamps the current `withPrompt` prompt, and the current experiment arm (`withVariant`,
 * `VariantChooser.run`), onto GenAI spans when they start — including spans made by
 * third-party instrumentations. A span counts as GenAI when it starts with `gen_ai.operation.name`,
 * `gen_ai.provider.name` or `gen_ai.system`. Spans that already name a prompt (or a fallback), and
 * spans made by `observe()` (which link prompts themselves), are left alone: the explicit prompt wins.
 *
 * `init()` installs it. With your own OpenTelemetry NodeSDK, add it to `spanProcessors`.
 *
 * @example
 * ```ts
 * new NodeSDK({ spanProcessors: [new PromptSpanProcessor(), new BatchSpanProcessor(exporter)] });
 * ```
 */
export class PromptSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    try {
      const prompt = promptFromContext(parentContext);
      const variant = variantFromContext(parentContext);
      if (prompt === undefined && variant === undefined) return;
      const attrs = span.attributes;
      // observe() / startGeneration() spans link prompt and experiment themselves.
      if (attrs[PROMPTLINE.OBSERVATION_TYPE] !== undefined || !isGenerationAttributes(attrs)) return;
      if (
        prompt !== undefined &&
        attrs[GEN_AI.PROMPT_NAME] === undefined &&
        attrs[PROMPTLINE.PROMPT_FALLBACK] === undefined
      ) {
        span.setAttributes(promptAttributes(prompt));
      }
      if (variant !== undefined && attrs[PROMPTLINE.EXPERIMENT_NAME] === undefined) {
        span.setAttributes(variantAttributes(variant, span.attributes));
      }
    } catch (err) {
      logger.debug('PromptSpanProcessor.onStart failed:', err);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
