/**
 * Configuration of the `promptline_auth` processor: the API keys (inline or in `keys_file`, SHA-256
 * digests only), and whether requests without a key are accepted, into which project.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SCOPES } from '../../auth/ApiKeyStore.js';
import type { ApiKeyEntry, Scope } from '../../auth/ApiKeyStore.js';
import type { ConfigReader, RawSection } from '../../config/ConfigReader.js';

export interface AuthConfig {
  keys: ApiKeyEntry[];
  allowAnonymousIngest: boolean;
  anonymousProject: string;
}

/** Without a `promptline_auth` processor: no keys, anonymous ingest into `default`. */
export function noAuthConfig(): AuthConfig {
  return { keys: [], allowAnonymousIngest: true, anonymousProject: 'default' };
}

/** Reads one `promptline_auth` processor at `path`; `keys_file` resolves against `baseDir`. */
export function readAuthConfig(r: ConfigReader, o: RawSection, path: string, baseDir: string): AuthConfig {
  const keys: ApiKeyEntry[] = [];
  r.note(path, 'keys');
  r.note(path, 'keys_file');
  const addKeys = (list: unknown, where: string): void => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) {
      r.problems.push(`${where}: must be a list of { sha256, project, scopes }`);
      return;
    }
    list.forEach((k: unknown, i: number) => {
      const kp = `${where}[${i}]`;
      if (k === null || typeof k !== 'object' || Array.isArray(k)) {
        r.problems.push(`${kp}: must be a mapping { sha256, project, scopes }`);
        return;
      }
      const ko = k as RawSection;
      const sha = r.str(ko, 'sha256', kp, '').toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(sha)) {
        r.problems.push(
          `${kp}.sha256: must be the 64-hex-digit SHA-256 of the key (never the key itself; compute it with hashApiKey or \`printf %s KEY | sha256sum\`)`,
        );
      }
      const project = r.str(ko, 'project', kp, '');
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(project)) {
        r.problems.push(`${kp}.project: required; letters, digits, . _ - (got ${JSON.stringify(project)})`);
      }
      const scopes = r.strList(ko, 'scopes', kp, ['ingest']);
      for (const s of scopes) {
        if (!(SCOPES as readonly string[]).includes(s))
          r.problems.push(`${kp}.scopes: unknown scope ${JSON.stringify(s)} (known: ${SCOPES.join(', ')})`);
      }
      const name = r.str(ko, 'name', kp, `${project}#${i}`);
      r.unknown(ko, kp);
      keys.push({
        sha256: sha,
        project,
        scopes: scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
        name,
      });
    });
  };
  addKeys(o.keys, `${path}.keys`);
  const file = o.keys_file;
  if (file !== undefined && file !== null && file !== '') {
    if (typeof file !== 'string') r.problems.push(`${path}.keys_file: must be a path`);
    else {
      const full = resolve(baseDir, file);
      try {
        const parsed = parseYaml(readFileSync(full, 'utf8')) as unknown;
        const list =
          parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
            ? (parsed as RawSection).keys
            : parsed;
        addKeys(list, `${path}.keys_file(${file})`);
      } catch (e) {
        r.problems.push(
          `${path}.keys_file: cannot read ${full} (${e instanceof Error ? e.message : String(e)})`,
        );
      }
    }
  }
  const allowAnonymousIngest = r.bool(o, 'allow_anonymous_ingest', path, keys.length === 0);
  const anonymousProject = r.str(o, 'anonymous_project', path, 'default');
  r.unknown(o, path);
  return { keys, allowAnonymousIngest, anonymousProject };
}
