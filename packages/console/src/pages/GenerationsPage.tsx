import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import type { GenerationsPage as Page, MetricsResponse } from '../api.js';
import { Chip, Empty, Fig, Loaded } from '../components/common.js';
import { Filters, withQuery } from '../components/Filters.js';
import {
  fmtCount,
  fmtMs,
  fmtNum,
  fmtTimeSeconds,
  fmtUsd,
  isVersion,
  versionLabel,
  versionParam,
} from '../format.js';
import type { VersionRef } from '../format.js';
import type { Route } from '../route.js';
import { go, href } from '../route.js';
import type { TimeWindow } from '../timeRange.js';
import { useAsync } from '../useAsync.js';

/** Page 5: a version's generations, newest first, page by page; filter by status and score. */
export function GenerationsPage(props: { name: string; route: Route; window: TimeWindow }) {
  const { name, route, window } = props;
  const env = route.query.get('env') ?? undefined;
  const range = route.query.get('range') ?? undefined;
  const meta = useAsync(
    () =>
      getJson<MetricsResponse>('/api/v1/metrics', {
        prompt: name,
        from: window.from,
        to: window.to,
        environment: env,
      }).then((m) => ({
        // Newest first, as the API lists them.
        versions: m.versions.map((v): VersionRef => ({ version: v.version, versionName: v.versionName })),
        scores: [...new Set(m.versions.flatMap((v) => v.scores.map((s) => s.name)))].sort(),
      })),
    `${name}|${window.from}|${window.to}|${env ?? ''}`,
  );
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs">
        <a href={href([], { range, env })}>Prompts</a> /{' '}
        <a href={href(['prompt', name], { range, env })}>{name}</a> /
      </p>
      <h1 id="page-title">Generations of {name}</h1>
      <Filters route={route} window={window} />
      <Loaded state={meta} what="versions">
        {(m) => {
          if (m.versions.length === 0)
            return (
              <Empty title={`No generation of ${name} in this window.`}>
                <p>Pick a longer time range.</p>
              </Empty>
            );
          // `version` as sent (`3`, `2.1.0`); one without traffic in this window is still asked for.
          const text = route.query.get('version') ?? '';
          const version =
            text === ''
              ? m.versions[0]!
              : (m.versions.find((v) => isVersion(v, text)) ?? { version: 0, versionName: text });
          return (
            <List
              key={`${route.query.toString()}|${window.from}|${window.to}`}
              name={name}
              route={route}
              window={window}
              versions={m.versions}
              scores={m.scores}
              version={version}
              env={env}
            />
          );
        }}
      </Loaded>
    </section>
  );
}

function List(props: {
  name: string;
  route: Route;
  window: TimeWindow;
  versions: VersionRef[];
  scores: string[];
  version: VersionRef;
  env: string | undefined;
}) {
  const { route, window, name } = props;
  const version = versionParam(props.version);
  const status = route.query.get('status') ?? '';
  const score = route.query.get('score') ?? '';
  const min = route.query.get('min') ?? '';
  const max = route.query.get('max') ?? '';
  const [minText, setMin] = useState(min);
  const [maxText, setMax] = useState(max);
  // Cursors of the pages before this one (the first page has none).
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const filterKey = `${name}|${version}|${window.from}|${window.to}|${props.env ?? ''}|${status}|${score}|${min}|${max}`;
  const page = useAsync(
    () =>
      getJson<Page>('/api/v1/generations', {
        prompt: name,
        version,
        from: window.from,
        to: window.to,
        environment: props.env,
        status,
        score: score === '' ? undefined : score,
        scoreMin: score === '' ? undefined : min,
        scoreMax: score === '' ? undefined : max,
        limit: 50,
        cursor,
      }),
    `${filterKey}|${cursor ?? ''}`,
  );
  const set = (changes: Record<string, string | undefined>): void => {
    setCursors([]);
    go(withQuery(route, changes));
  };
  return (
    <>
      <form
        class="filters"
        aria-label="Generation filters"
        onSubmit={(e) => {
          e.preventDefault();
          set({ min: minText, max: maxText });
        }}
      >
        <label>
          Version{' '}
          <select value={version} onChange={(e) => set({ version: (e.target as HTMLSelectElement).value })}>
            {props.versions.some((v) => versionParam(v) === version) ? null : (
              <option value={version}>{versionLabel(props.version)}</option>
            )}
            {props.versions.map((v) => (
              <option key={v.version} value={versionParam(v)}>
                {versionLabel(v)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">Any</option>
            <option value="ok">OK</option>
            <option value="error">Error</option>
          </select>
        </label>
        <label>
          Score{' '}
          <select value={score} onChange={(e) => set({ score: (e.target as HTMLSelectElement).value })}>
            <option value="">Any</option>
            {props.scores.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          at least{' '}
          <input
            type="number"
            step="any"
            size={6}
            value={minText}
            onInput={(e) => setMin((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          at most{' '}
          <input
            type="number"
            step="any"
            size={6}
            value={maxText}
            onInput={(e) => setMax((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Loaded state={page} what="generations">
        {(p) =>
          p.rows.length === 0 ? (
            <Empty title="No generation matches these filters." />
          ) : (
            <>
              <div class="scroll">
                <table class="data" id="generations-table">
                  <caption>
                    {versionLabel({ version: p.version, versionName: p.versionName })}, newest first
                    {cursors.length > 0 ? ` (page ${cursors.length + 1})` : ''}. Open a row for its input,
                    output and attributes.
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">
                        Latency
                      </th>
                      <th scope="col" class="num">
                        TTFT
                      </th>
                      <th scope="col" class="num">
                        Tokens in / out
                      </th>
                      <th scope="col" class="num">
                        Cost
                      </th>
                      <th scope="col">Scores</th>
                      <th scope="col">Label</th>
                      <th scope="col">Trace</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.rows.map((r) => (
                      <tr key={r.spanId} data-span={r.spanId}>
                        <th scope="row">
                          <a href={href(['generation', r.traceId, r.spanId])}>{fmtTimeSeconds(r.time)}</a>
                        </th>
                        <td>
                          {r.status === 'ok' ? (
                            <Chip kind="good">ok</Chip>
                          ) : (
                            <Chip kind="bad">{r.errorType || 'error'}</Chip>
                          )}
                        </td>
                        <Fig name="latencyMs" value={r.latencyMs} text={fmtMs(r.latencyMs)} />
                        <Fig name="ttftMs" value={r.ttftMs} text={fmtMs(r.ttftMs)} />
                        <td class="num">
                          {fmtCount(r.inputTokens)} / {fmtCount(r.outputTokens)}
                        </td>
                        <Fig name="costUsd" value={r.costUsd} text={fmtUsd(r.costUsd)} />
                        <td>
                          {r.scores.length === 0
                            ? '–'
                            : r.scores.map((s, i) => (
                                <Chip key={i}>
                                  {s.name}={s.value === null ? s.label : fmtNum(s.value)}
                                </Chip>
                              ))}
                        </td>
                        <td>{r.label === '' ? '–' : r.label}</td>
                        <td>
                          <code>{r.traceId.slice(0, 12)}…</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <nav class="pager" aria-label="Pages">
                <button
                  type="button"
                  disabled={cursors.length === 0}
                  onClick={() => setCursors(cursors.slice(0, -1))}
                >
                  Newer
                </button>
                <button
                  type="button"
                  disabled={p.next === null}
                  onClick={() => p.next !== null && setCursors([...cursors, p.next])}
                >
                  Older
                </button>
              </nav>
            </>
          )
        }
      </Loaded>
    </>
  );
}
