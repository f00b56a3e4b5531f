/**
 * The console's built files (`@promptline/console`'s `dist/`: `index.html` plus content-hashed
 * files under `assets/`), read once into memory at startup.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';

/** One file ready to send. */
export interface ConsoleFile {
  body: Buffer;
  contentType: string;
}

/** The console's files: the page and its hashed assets (URL path → file). */
export interface ConsoleAssets {
  index: ConsoleFile;
  /** `/assets/NAME` → file. */
  files: Map<string, ConsoleFile>;
  dir: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/** Largest total size of the console's files read into memory. */
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;

/** `dist/` of the installed `@promptline/console` package, or `undefined` when it is not installed. */
export function consoleDistDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@promptline/console/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * Reads the built console from `dir` (default: the installed package's `dist/`). Throws an error
 * that says how to build it when the files are missing.
 */
export function loadConsoleAssets(dir = consoleDistDir()): ConsoleAssets {
  const indexPath = dir === undefined ? undefined : join(dir, 'index.html');
  if (dir === undefined || indexPath === undefined || !existsSync(indexPath)) {
    throw new Error(
      `the console is not built (${indexPath ?? '@promptline/console not installed'} missing): run \`pnpm build\``,
    );
  }
  const files = new Map<string, ConsoleFile>();
  let total = 0;
  const assetsDir = join(dir, 'assets');
  if (existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) {
      const path = join(assetsDir, name);
      if (!statSync(path).isFile()) continue;
      const body = readFileSync(path);
      total += body.length;
      if (total > MAX_TOTAL_BYTES)
        throw new Error(`the console's files exceed ${MAX_TOTAL_BYTES} bytes (${dir})`);
      files.set(`/assets/${name}`, {
        body,
        contentType: TYPES[extname(name)] ?? 'application/octet-stream',
      });
    }
  }
  return { index: { body: readFileSync(indexPath), contentType: TYPES['.html']! }, files, dir };
}
