import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { PromptData } from './PromptData.js';
import { parsePromptData, PromptDataError } from './PromptData.js';
import type { PromptSelector, PromptSource } from './PromptSource.js';
import { PromptNotFoundError } from './PromptSource.js';

const SUFFIXES = ['.prompt.yaml', '.prompt.yml', '.prompt.json'] as const;

/** A prompt folder held files that are not valid prompts; `problems` names each file and problem. */
export class PromptFileError extends Error {
  override readonly name = 'PromptFileError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid prompt files:\n  ${problems.join('\n  ')}`);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(full)));
    else if (e.isFile() && SUFFIXES.some((s) => e.name.endsWith(s))) out.push(full);
  }
  return out;
}

/**
 * Loads prompts kept as code: every `*.prompt.yaml`, `*.prompt.yml` or `*.prompt.json` file under
 * `dir` (recursively; dot-folders skipped) is one prompt. The prompt's name is the file's path
 * relative to `dir` without the suffix, with `/` separators (`support/triage.prompt.yaml` →
 * `support/triage`); a `name` field, if present, must equal it. Fields are those of
 * {@link PromptData}; `type` may be omitted (`template` → text, `messages` → chat).
 *
 * Versioning rule: the file holds the CURRENT version as `version: N`. Whenever what is sent to the
 * model changes (template/messages, config, output schema, examples — i.e. the content hash), bump
 * `version`; git keeps the history. `promptline prompts push` refuses a file whose version already
 * exists in the registry with a different hash.
 *
 * Every file is checked; all problems are reported together in one {@link PromptFileError}.
 * Returns plain data, sorted by name.
 *
 * @example
 * ```ts
 * const prompts = await loadPromptFiles('./prompts');
 * const client = new PromptClient({ source: new FilePromptSource(prompts) });
 * ```
 */
export async function loadPromptFiles(dir: string): Promise<PromptData[]> {
  const files = await listFiles(dir);
  const problems: string[] = [];
  const out: PromptData[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const rel = relative(dir, file);
    const suffix = SUFFIXES.find((s) => rel.endsWith(s))!;
    const name = rel.slice(0, -suffix.length).split(sep).join('/');
    let raw: unknown;
    try {
      const text = await readFile(file, 'utf8');
      raw = suffix.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      problems.push(
        `${rel}: cannot parse: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
      continue;
    }
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const declared = (raw as Record<string, unknown>).name;
      if (declared !== undefined && declared !== name) {
        problems.push(`${rel}: "name" is ${JSON.stringify(declared)} but the file path says "${name}"`);
        continue;
      }
      raw = { ...raw, name };
    }
    try {
      const data = parsePromptData(raw, rel);
      const other = seen.get(name);
      if (other !== undefined) {
        problems.push(`${rel}: prompt "${name}" is also defined by ${other}`);
        continue;
      }
      seen.set(name, rel);
      out.push(data);
    } catch (err) {
      if (err instanceof PromptDataError) problems.push(`${rel}: ${err.problems.join('; ')}`);
      else throw err;
    }
  }
  if (problems.length > 0) throw new PromptFileError(problems);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A {@link PromptSource} over prompts loaded with {@link loadPromptFiles}: `{ label }` matches a
 * prompt listing that label (the label `latest` always matches), `{ version }` matches the file's
 * version.
 *
 * @example
 * ```ts
 * const source = new FilePromptSource(await loadPromptFiles('./prompts'));
 * ```
 */
export class FilePromptSource implements PromptSource {
  readonly #byName = new Map<string, PromptData>();

  constructor(prompts: readonly PromptData[]) {
    for (const p of prompts) this.#byName.set(p.name, p);
  }

  fetchPrompt(name: string, selector: PromptSelector): Promise<PromptData> {
    const p = this.#byName.get(name);
    const ok =
      p !== undefined &&
      (selector.version !== undefined
        ? p.version === selector.version
        : selector.label === 'latest' || (p.labels ?? []).includes(selector.label));
    return ok ? Promise.resolve(p) : Promise.reject(new PromptNotFoundError(name, selector));
  }
}
