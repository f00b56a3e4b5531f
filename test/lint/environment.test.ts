import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOutput, runCli } from '@promptline/cli';
import { ENV_OVERRIDES } from '@promptline/collector';
import { describe, expect, it } from 'vitest';

/**
 * The README's table of environment variables ("Configuration by environment") is the one list of
 * every `PROMPTLINE_*` variable: it must name exactly the variables the code and the shipped config
 * files read, and every CLI command's `--help` lists the ones it reads, from the same table.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where variables are read: sources (not tests), scripts, test support, config and deploy files. */
const SCANNED = [
  'packages/*/src',
  'packages/*/bin',
  'examples',
  'bench',
  'scripts',
  'test/kit',
  'test/support',
  'test/deploy/support',
  'collector-config',
  'deploy',
];
const EXTENSIONS = /\.(ts|tsx|mjs|cjs|js|ya?ml)$|Dockerfile$/;
const NAME = /\bPROMPTLINE_[A-Z0-9_]*[A-Z0-9]\b/g;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (EXTENSIONS.test(entry) && !/\.test\.tsx?$/.test(entry)) out.push(path);
  }
  return out;
}

function scannedDirs(): string[] {
  const dirs: string[] = [];
  for (const pattern of SCANNED) {
    if (!pattern.startsWith('packages/*/')) {
      dirs.push(join(root, pattern));
      continue;
    }
    const tail = pattern.slice('packages/*/'.length);
    for (const pkg of readdirSync(join(root, 'packages'))) {
      const dir = join(root, 'packages', pkg, tail);
      if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true) dirs.push(dir);
    }
  }
  return dirs;
}

/** Every variable named in the scanned files, with the files naming it. */
function variablesInCode(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of scannedDirs().flatMap(files)) {
    for (const [name] of readFileSync(file, 'utf8').matchAll(NAME)) {
      const where = found.get(name) ?? [];
      if (!where.includes(file)) where.push(relative(root, file));
      found.set(name, where);
    }
  }
  return found;
}

interface Row {
  names: string[];
  readBy: string;
  deprecated: boolean;
  text: string;
}

/** The rows of the README's table, each with the variables of its first cell. */
function readmeRows(): Row[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Configuration by environment');
  expect(start, 'README section "Configuration by environment"').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `PROMPTLINE_'))
    .map((line) => {
      const cells = line.split(' | ');
      return {
        names: [...(cells[0] ?? '').matchAll(NAME)].map((m) => m[0]),
        readBy: cells[1] ?? '',
        deprecated: (cells[3] ?? '').startsWith('deprecated'),
        text: line,
      };
    });
}

const rows = readmeRows();
const documented = new Map(rows.flatMap((r) => r.names.map((n) => [n, r] as const)));

/** The `--help` text of `promptline …args`. */
async function help(args: string[]): Promise<string> {
  let text = '';
  const out = createOutput({
    stdout: { write: (chunk: string) => (text += chunk) },
    stderr: { write: (chunk: string) => (text += chunk) },
  });
  expect(await runCli([...args, '--help'], { out, env: {} })).toBe(0);
  return text;
}

/** The subcommands `promptline …args --help` lists (without `help`). */
async function subcommands(args: string[]): Promise<string[]> {
  const text = await help(args);
  const block = text.slice(text.indexOf('Commands:')).split('\n\n')[0]!;
  return [...block.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
}

describe('environment variables: one table in the README', () => {
  it('names exactly the variables the code and the config files read, once each', () => {
    const inCode = variablesInCode();
    const undocumented = [...inCode.keys()].filter((n) => !documented.has(n));
    expect(undocumented.map((n) => `${n} (${inCode.get(n)!.join(', ')})`)).toEqual([]);
    expect([...documented.keys()].filter((n) => !inCode.has(n))).toEqual([]);
    const all = rows.flatMap((r) => r.names);
    expect(all.length).toBe(new Set(all).size);
    // The scan is real: it finds names in code, config and deploy files.
    expect(inCode.get('PROMPTLINE_COLLECTOR_URL')).toContain('packages/sdk/src/init.ts');
    expect(inCode.get('PROMPTLINE_KEYS_FILE')).toContain('deploy/collector/collector.yaml');
  });

  it('a deprecated name points to a variable of the table that is not deprecated', () => {
    const deprecated = rows.filter((r) => r.deprecated);
    expect(deprecated.flatMap((r) => r.names).sort()).toEqual([
      'PROMPTLINE_ENDPOINT',
      'PROMPTLINE_HOST',
      'PROMPTLINE_PORT',
      'PROMPTLINE_PROJECT_ID',
      'PROMPTLINE_REGISTRY_URL',
    ]);
    for (const row of deprecated) {
      const replacement = /deprecated: use `(PROMPTLINE_[A-Z_]+)/.exec(row.text)?.[1];
      expect(replacement, row.text).toBeDefined();
      expect(documented.get(replacement!)?.deprecated, replacement).toBe(false);
    }
  });

  it("the collector's overrides are in the table, read by the collector", async () => {
    for (const name of [...ENV_OVERRIDES.map((o) => o.env), 'PROMPTLINE_COLLECTOR_CONFIG']) {
      expect(documented.get(name)?.readBy, name).toMatch(/collector/);
    }
  });

  it('each CLI command lists the variables it reads in --help; together they are the CLI rows of the table', async () => {
    // Every command the CLI has, found in its own help (a new command cannot be missed).
    const commands = (await subcommands([])).map((c) => [c]);
    for (const name of await subcommands(['prompts'])) commands.push(['prompts', name]);
    expect(commands.length).toBeGreaterThan(12);
    const shown = new Set<string>();
    for (const args of commands) {
      const text = await help(args);
      const listed = [...text.slice(text.indexOf('Environment')).matchAll(NAME)].map((m) => m[0]);
      expect(listed.length, `promptline ${args.join(' ')} --help`).toBeGreaterThan(0);
      for (const name of listed) {
        expect(documented.get(name)?.deprecated, `${name} in ${args.join(' ')} --help`).toBe(false);
        shown.add(name);
      }
    }
    // Every variable an option mentions is listed in its command's help too.
    const up = await help(['up']);
    expect(up).toContain('PROMPTLINE_COLLECTOR_ENDPOINT');
    expect(await help(['metrics'])).toMatch(/PROMPTLINE_COLLECTOR_URL[\s\S]*PROMPTLINE_PROJECT/);
    const cliRows = rows.filter((r) => !r.deprecated && /\bCLI\b/.test(r.readBy)).flatMap((r) => r.names);
    expect([...shown].sort()).toEqual(cliRows.sort());
  });
});
