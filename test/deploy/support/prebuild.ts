/**
 * Builds (or finds cached) the upstream OpenTelemetry Collector used by test/deploy, before the
 * test run starts: a cold build takes minutes on two cores and would otherwise compete with
 * timing-sensitive tests running in parallel. `npm test` runs this first.
 */
import { join } from 'node:path';
import { ensureOtelcol } from './otelcol.js';

const root = new URL('../../../', import.meta.url).pathname;
const build = await ensureOtelcol(join(root, 'deploy/otelcol/builder-manifest.yaml'));
process.stdout.write(
  build.built
    ? `[promptline] built the upstream collector in ${build.seconds}s: ${build.binary}\n`
    : `[promptline] upstream collector cached: ${build.binary}\n`,
);
