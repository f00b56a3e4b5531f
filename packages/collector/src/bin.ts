/**
 * `promptline-collector --config FILE`: runs the collector until SIGINT / SIGTERM, then shuts down
 * gracefully (draining the WAL into ClickHouse). Exit code 2 on a configuration error.
 */
import { ConfigError } from './config/ConfigError.js';
import { ENV_OVERRIDES, loadConfig } from './config/loadConfig.js';
import { startCollector } from './startCollector.js';

const width = Math.max(...ENV_OVERRIDES.map((o) => o.env.length));
const USAGE = `usage: promptline-collector [--config FILE]

Runs the Promptline collector (OTLP/HTTP → WAL → ClickHouse). Without --config it uses the
defaults: 127.0.0.1:4318, embedded engine in ./.promptline/data, WAL in ./.promptline/wal.

Environment (overrides win over the file's keys; \${env:NAME} in the file is substituted too):
  ${'PROMPTLINE_COLLECTOR_CONFIG'.padEnd(width)}  the config file, when --config is not given
${ENV_OVERRIDES.map((o) => `  ${o.env.padEnd(width)}  ${o.path.join('.')}`).join('\n')}
`;

function parseArgs(argv: readonly string[]): { config?: string; help: boolean } {
  const out: { config?: string; help: boolean } = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--config' || a === '-c') out.config = argv[++i];
    else if (a.startsWith('--config=')) out.config = a.slice('--config='.length);
    else throw new ConfigError([`command line: unknown argument ${JSON.stringify(a)} (see --help)`]);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const config = loadConfig(args.config ?? process.env.PROMPTLINE_COLLECTOR_CONFIG, process.env);
  const collector = await startCollector(config);
  process.stdout.write(`promptline-collector listening on ${collector.url}\n`);
  if (collector.console !== undefined) {
    // A one-time login link for the first key that may read (the console then reads its project).
    const reader = config.auth.keys.find((k) => k.scopes.includes('read') || k.scopes.includes('admin'));
    const link =
      reader === undefined
        ? undefined
        : collector.console.loginUrl({ project: reader.project, keyName: reader.name ?? 'key' });
    process.stdout.write(
      link === undefined
        ? `console: ${collector.url}/ (log in with a read key)\n`
        : `console: ${link.url} (one-time login link for key "${reader?.name ?? 'key'}", valid until ${link.expiresAt.toISOString()}; or log in with a read key)\n`,
    );
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      process.stderr.write(
        `promptline-collector: ${sig} again, exiting now (the WAL keeps unexported data)\n`,
      );
      process.exit(130);
    }
    collector.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(
          `promptline-collector: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`,
        );
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`promptline-collector: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`promptline-collector: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
