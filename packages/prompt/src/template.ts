/**
 * `{{variable}}` templates.
 *
 * Syntax:
 * - `{{name}}` (spaces allowed inside the braces) inserts a variable; names match `[A-Za-z_][A-Za-z0-9_]*`.
 * - `{{name|default text}}` inserts `default text` when the variable is not given.
 * - Literal braces: a backslash before `{{` makes it literal (`\{{` renders `{{`). A run of backslashes
 *   right before `{{` is halved (`\\{{x}}` renders a backslash then the value of `x`); an odd run makes
 *   the braces literal. Backslashes anywhere else are left alone. {@link escapeTemplate} applies this
 *   rule to any text, so an escaped text compiles back to itself for every string. (Limit: literal
 *   text ending in `\` or `\{` directly before a placeholder is read as an escape; put another
 *   character between them.)
 * - In a run of three or more `{`, the last two open the placeholder (`{{{x}}` renders `{` + x).
 * - `}}` outside a placeholder is plain text.
 */

/** One piece of a parsed template. */
export type TemplateSegment =
  { readonly text: string } | { readonly name: string; readonly fallback?: string };

const PLACEHOLDER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([\s\S]*))?$/;

/** A template that failed to parse: the message names the offset and the fix. */
export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
}

/** Parses a template into literal and variable segments. Throws {@link TemplateSyntaxError}. */
export function parseTemplate(template: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    let open = template.indexOf('{{', i);
    if (open < 0) {
      text += template.slice(i);
      break;
    }
    let slashes = 0;
    while (open - 1 - slashes >= i && template.charCodeAt(open - 1 - slashes) === 92) slashes++;
    text += template.slice(i, open - slashes) + '\\'.repeat(slashes >> 1);
    if (slashes % 2 === 1) {
      text += '{{';
      i = open + 2;
      continue;
    }
    // In a run of three or more braces the last two open the placeholder: `{{{x}}` is `{` + x.
    while (template.charCodeAt(open + 2) === 123) {
      text += '{';
      open++;
    }
    const close = template.indexOf('}}', open + 2);
    if (close < 0) {
      throw new TemplateSyntaxError(
        `unclosed "{{" at offset ${open}: close it with "}}" or write "\\{{" for literal braces`,
      );
    }
    const inner = template.slice(open + 2, close);
    const match = PLACEHOLDER.exec(inner);
    if (match === null) {
      throw new TemplateSyntaxError(
        `invalid placeholder "{{${inner}}}" at offset ${open}: expected {{name}} or {{name|default}} ` +
          `(name: letters, digits, _), or write "\\{{" for literal braces`,
      );
    }
    if (text !== '') segments.push({ text });
    text = '';
    const name = match[1]!;
    segments.push(match[2] === undefined ? { name } : { name, fallback: match[2].trim() });
    i = close + 2;
  }
  if (text !== '') segments.push({ text });
  return segments;
}

/** Names of the variables a parsed template uses, in first-use order, without repeats. */
export function templateVariables(segments: readonly TemplateSegment[]): string[] {
  const names: string[] = [];
  for (const s of segments) if ('name' in s && !names.includes(s.name)) names.push(s.name);
  return names;
}

/** Turns a variable value into text: strings as is, other primitives via `String`, objects as JSON. */
export function stringifyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Renders parsed segments. Variables that are `undefined` in `vars` and have no default are pushed
 * onto `missing` (and render as nothing).
 */
export function renderSegments(
  segments: readonly TemplateSegment[],
  vars: Readonly<Record<string, unknown>>,
  missing: string[],
): string {
  let out = '';
  for (const s of segments) {
    if ('text' in s) {
      out += s.text;
      continue;
    }
    const value = Object.prototype.hasOwnProperty.call(vars, s.name) ? vars[s.name] : undefined;
    if (value !== undefined) out += stringifyValue(value);
    else if (s.fallback !== undefined) out += s.fallback;
    else if (!missing.includes(s.name)) missing.push(s.name);
  }
  return out;
}

/**
 * Escapes literal text so that it renders unchanged: a text prompt whose template is
 * `escapeTemplate(s)` compiles to `s` (`Prompt.compile()` with no variables).
 *
 * @example
 * ```ts
 * escapeTemplate('JSON like {{"a": 1}}'); // 'JSON like \\{{"a": 1}}'
 * ```
 */
export function escapeTemplate(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      out += text.slice(i);
      break;
    }
    let slashes = 0;
    while (open - 1 - slashes >= i && text.charCodeAt(open - 1 - slashes) === 92) slashes++;
    out += text.slice(i, open - slashes) + '\\'.repeat(slashes * 2 + 1) + '{{';
    i = open + 2;
  }
  return out;
}
