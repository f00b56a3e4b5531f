/**
 * Builds (or finds cached) the upstream OpenTelemetry Collector used by test/deploy, before the
 * test run starts: a cold build takes minutes on two cores and would otherwise compete with
 * timing-sensitive tests running in parallel. `npm test` runs this first; when it fails (exit 1,
 * the error on stderr), `npm test` tells the tests so, and they report it instead of building again.
 */
import { join } from 'node:path';
import { ensureOtelcol } from './otelcol.js';

const root = new URL('../../../', import.meta.url).pathname;
try {
  const build = await ensureOtelcol(join(root, 'deploy/otelcol/builder-manifest.yaml'));
  const p = build.phases;
  process.stdout.write(
    build.built
      ? `[promptline] built the upstream collector in ${build.seconds}s` +
          (p === undefined ? '' : ` (builder ${p.builder}s, modules ${p.modules}s, compile ${p.compile}s)`) +
          `: ${build.binary}\n`
      : `[promptline] upstream collector cached: ${build.binary}\n`,
  );
} catch (err) {
  process.stderr.write(
    `[promptline] building the upstream collector failed: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exitCode = 1;
}
