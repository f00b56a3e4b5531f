import type { Span } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import type { Prompt } from '@promptline/prompt';
import { PROMPTLINE } from '@promptline/semconv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import { logger } from './logger.js';

/** Result of {@link validateOutput}. */
export interface ValidationResult {
  readonly valid: boolean;
  /** The parsed output (a string output is parsed as JSON first). */
  readonly value: unknown;
  /** One line per problem (`/path message`); empty when valid. */
  readonly errors: readonly string[];
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function describe(e: ErrorObject): string {
  return `${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? e.keyword}`;
}

/**
 * Validates a model's structured output against a prompt's `outputSchema` (or an explicit JSON
 * Schema) with Ajv, and records `promptline.validation.passed` and
 * `promptline.validation.error_count` on `span` (default: the active span). A string output is
 * parsed as JSON first; unparseable JSON counts as one error. Never throws for bad output; an
 * invalid schema is logged and reported as one error.
 *
 * @example
 * ```ts
 * const { valid, value, errors } = validateOutput(prompt, completion.choices[0].message.content);
 * ```
 */
export function validateOutput(
  schemaOrPrompt: Prompt | Readonly<Record<string, unknown>>,
  output: unknown,
  span: Span | undefined = trace.getActiveSpan(),
): ValidationResult {
  const schema =
    'outputSchema' in schemaOrPrompt && 'compile' in schemaOrPrompt
      ? (schemaOrPrompt as Prompt).outputSchema
      : (schemaOrPrompt as Record<string, unknown>);
  let result: ValidationResult;
  if (schema === undefined) {
    result = { valid: true, value: output, errors: [] };
  } else {
    let value = output;
    let parseError: string | undefined;
    if (typeof output === 'string') {
      try {
        value = JSON.parse(output);
      } catch (err) {
        parseError = `output is not JSON: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (parseError !== undefined) {
      result = { valid: false, value: output, errors: [parseError] };
    } else {
      try {
        const validate = validatorFor(schema);
        const ok = validate(value);
        result = { valid: ok, value, errors: ok ? [] : (validate.errors ?? []).map(describe) };
      } catch (err) {
        logger.warn('output schema could not be compiled:', err);
        result = {
          valid: false,
          value,
          errors: [`invalid output schema: ${err instanceof Error ? err.message : String(err)}`],
        };
      }
    }
  }
  if (span !== undefined && schema !== undefined) {
    try {
      span.setAttribute(PROMPTLINE.VALIDATION_PASSED, result.valid);
      span.setAttribute(PROMPTLINE.VALIDATION_ERROR_COUNT, result.errors.length);
    } catch (err) {
      logger.debug('recording validation failed:', err);
    }
  }
  return result;
}
