import { getJson } from '../api.js';
import type { Overview, RegistryPromptSummary } from '../api.js';
import { Chip, Empty, Fig, Loaded } from '../components/common.js';
import { Filters } from '../components/Filters.js';
import { Sparkline } from '../components/Sparkline.js';
import { fmtCount, fmtMs, fmtRate, fmtTime, fmtUsd, versionLabel } from '../format.js';
import type { Route } from '../route.js';
import { href } from '../route.js';
import type { TimeWindow } from '../timeRange.js';
import { useAsync } from '../useAsync.js';

interface Row {
  name: string;
  registry: RegistryPromptSummary | undefined;
  stats: Overview['prompts'][number] | undefined;
}

/** Page 1: every prompt, with its traffic in the window (telemetry) and its versions and labels (registry). */
export function PromptsPage(props: { route: Route; window: TimeWindow }) {
  const { window } = props;
  const env = props.route.query.get('env') ?? undefined;
  const key = `${window.from}|${window.to}|${env ?? ''}`;
  const overview = useAsync(
    () => getJson<Overview>('/api/v1/overview', { from: window.from, to: window.to, environment: env }),
    key,
  );
  // The registry is optional: a project may send telemetry without ever pushing a prompt.
  const registry = useAsync(
    () => getJson<{ prompts: RegistryPromptSummary[] }>('/api/v1/prompts').catch(() => ({ prompts: [] })),
    'registry',
  );
  const dims = useAsync(
    () => getJson<{ environments: string[] }>('/api/v1/dimensions', { from: window.from, to: window.to }),
    `${window.from}|${window.to}`,
  );
  const hours = (Date.parse(window.to) - Date.parse(window.from)) / 3_600_000;
  const span = hours <= 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} d`;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Prompts</h1>
      <Filters route={props.route} window={window} environments={dims.data?.environments ?? []} />
      <Loaded state={overview} what="prompts">
        {(ov) => {
          const byName = new Map<string, Row>();
          for (const p of ov.prompts) byName.set(p.name, { name: p.name, stats: p, registry: undefined });
          for (const r of registry.data?.prompts ?? []) {
            const row = byName.get(r.name) ?? { name: r.name, stats: undefined, registry: undefined };
            row.registry = r;
            byName.set(r.name, row);
          }
          const rows = [...byName.values()];
          if (rows.length === 0) return <NoData />;
          return (
            <table class="data" id="prompts-table" aria-describedby="prompts-caption">
              <caption id="prompts-caption">
                Every prompt of project <strong>{ov.project}</strong>: traffic over the last {span} (all
                versions) and, from the registry, the latest version and current labels (for a prompt not in
                the registry: the version of its last call and the labels its calls carried).
              </caption>
              <thead>
                <tr>
                  <th scope="col">Prompt</th>
                  <th scope="col">Latest version</th>
                  <th scope="col">Labels</th>
                  <th scope="col" class="num">
                    Calls
                  </th>
                  <th scope="col" class="num">
                    Error rate
                  </th>
                  <th scope="col" class="num">
                    p95 latency
                  </th>
                  <th scope="col" class="num">
                    Cost
                  </th>
                  <th scope="col">Calls over time</th>
                  <th scope="col">Last call</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.name} data-prompt={r.name}>
                    <th scope="row">
                      <a
                        href={href(['prompt', r.name], {
                          range: props.route.query.get('range') ?? undefined,
                          env,
                        })}
                      >
                        {r.name}
                      </a>
                    </th>
                    <td data-cell="latest">
                      {r.registry !== undefined ? (
                        `v${r.registry.latestVersion}`
                      ) : r.stats?.lastVersion ? (
                        <>
                          {versionLabel(r.stats.lastVersion)}{' '}
                          <span class="muted" title="Not in the registry: the version of the last call">
                            (last call)
                          </span>
                        </>
                      ) : (
                        <span class="muted">not in registry</span>
                      )}
                    </td>
                    <td data-cell="labels">
                      {r.registry !== undefined
                        ? Object.entries(r.registry.labels)
                            .filter(([l]) => l !== 'latest')
                            .map(([l, v]) => (
                              <Chip key={l}>
                                {l} → v{v}
                              </Chip>
                            ))
                        : Object.keys(r.stats?.labelsSeen ?? {}).length === 0
                          ? '–'
                          : Object.entries(r.stats!.labelsSeen).map(([l, v]) => (
                              <Chip key={l}>
                                {l} → {versionLabel(v)}
                              </Chip>
                            ))}
                    </td>
                    <Fig
                      name="requests"
                      value={r.stats?.requests ?? 0}
                      text={fmtCount(r.stats?.requests ?? 0)}
                    />
                    <Fig
                      name="errorRate"
                      value={r.stats?.errorRate ?? null}
                      text={fmtRate(r.stats?.errorRate)}
                      interval={r.stats?.intervals?.errorRate}
                      format={fmtRate}
                    />
                    <Fig
                      name="latencyP95Ms"
                      value={r.stats?.latencyP95Ms ?? null}
                      text={fmtMs(r.stats?.latencyP95Ms)}
                    />
                    <Fig
                      name="totalCostUsd"
                      value={r.stats?.totalCostUsd ?? null}
                      text={fmtUsd(r.stats?.totalCostUsd)}
                    />
                    <td>
                      {r.stats === undefined ? (
                        '–'
                      ) : (
                        <Sparkline points={r.stats.sparkline} label={`${r.name} calls over time`} />
                      )}
                    </td>
                    <td>{fmtTime(r.stats?.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Loaded>
    </section>
  );
}

/** What to do when the project has no data yet. */
export function NoData() {
  const origin = window.location.origin;
  return (
    <Empty title="No prompt has sent any traffic in this window.">
      <p>Point your app at this collector with the SDK and an ingest key of this project:</p>
      <pre class="code">
        {`import { init } from '@promptline/sdk';
init({ endpoint: '${origin}', apiKey: process.env.PROMPTLINE_API_KEY });`}
      </pre>
      <p>
        or send OTLP/HTTP to <code>{origin}/v1/traces</code>. Try a longer time range, or run the demo:{' '}
        <code>npm run demo</code>.
      </p>
    </Empty>
  );
}
