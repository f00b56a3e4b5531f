import { GEN_AI, LANGFUSE, OPENINFERENCE, TRACELOOP, VERCEL_AI } from '@promptline/semconv';
import type { AttributeMap } from './rows.js';

/**
 * The keys whose value the generations view stores as a span's prompt name as it is, in the view's
 * order (migration 0019, `prompt_name`): the GenAI standard's, Langfuse's, OpenLLMetry's prompt key
 * and OpenInference's prompt id. Below them the view derives a name (from OpenInference's template,
 * after its hash, or from Langfuse's prompt JSON in the Vercel AI SDK's metadata) before it takes the
 * Vercel AI SDK's plain metadata name.
 */
const NAME_KEYS = [
  GEN_AI.PROMPT_NAME,
  LANGFUSE.PROMPT_NAME,
  TRACELOOP.PROMPT_KEY,
  OPENINFERENCE.PROMPT_ID,
] as const;
const DERIVED_NAME_KEYS = [OPENINFERENCE.PROMPT_TEMPLATE, VERCEL_AI.METADATA_LANGFUSE_PROMPT] as const;

/**
 * Adds to `into` the prompt names under which the generations view may store the span whose
 * attributes are `attrs` (a superset: every name the span carries under the keys the view takes as
 * they are), and returns false when the view would derive the name (from a template's hash or from
 * JSON) instead. A span that names no prompt adds nothing: it counts for its project only (as an
 * unlinked generation, or not at all).
 *
 * The collector uses this to tell which prompts' figures an insert may change; a test stores
 * random spans of every convention and checks that each stored name is among these.
 *
 * @example
 * const names = new Set<string>();
 * promptNamesOf({ 'gen_ai.prompt.name': 'support-reply' }, names); // true; names: {'support-reply'}
 */
export function promptNamesOf(attrs: AttributeMap, into: Set<string>): boolean {
  let named = false;
  for (const key of NAME_KEYS) {
    const v = attrs[key];
    if (v !== undefined && v !== '') {
      into.add(v);
      named = true;
    }
  }
  if (named) return true;
  for (const key of DERIVED_NAME_KEYS) {
    const v = attrs[key];
    if (v !== undefined && v !== '') return false;
  }
  const plain = attrs[VERCEL_AI.METADATA_PROMPT_NAME];
  if (plain !== undefined && plain !== '') into.add(plain);
  return true;
}
