import { getJson } from '../api.js';
import type {
  Dimensions,
  LabelShare,
  MetricsResponse,
  PromptPageResponse,
  RegistryLabelMove,
  ScorePoint,
  SpanLabelHistory,
  TimeSeriesPoint,
  VersionMetrics,
} from '../api.js';
import { Chip, Empty, Fig, Loaded, versionColors } from '../components/common.js';
import { Filters } from '../components/Filters.js';
import { markerText, TimeChart } from '../components/TimeChart.js';
import type { ChartSeries, Marker } from '../components/TimeChart.js';
import { fmtCount, fmtMs, fmtNum, fmtRate, fmtTime, fmtUsd, versionLabel, versionParam } from '../format.js';
import type { Route } from '../route.js';
import { href } from '../route.js';
import type { TimeWindow } from '../timeRange.js';
import { useAsync } from '../useAsync.js';

/** Everything the prompt page shows (one `/api/v1/prompt-page` answer). */
interface PromptData {
  metrics: MetricsResponse;
  share: LabelShare[];
  series: TimeSeriesPoint[];
  scores: ScorePoint[];
  spanHistory: SpanLabelHistory[];
  registryHistory: RegistryLabelMove[];
}

/** Moves seen in spans: for each label (and environment), every version after its first one. */
export function spanMoves(history: SpanLabelHistory[]): Marker[] {
  const byLabel = new Map<string, SpanLabelHistory[]>();
  for (const h of history) {
    const k = `${h.label}\u0000${h.environment}`;
    byLabel.set(k, [...(byLabel.get(k) ?? []), h]);
  }
  const out: Marker[] = [];
  for (const list of byLabel.values()) {
    const sorted = [...list].sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      const h = sorted[i]!;
      if (h.label === '') continue;
      out.push(markerText('spans', { ...h, from: sorted[i - 1]! }));
    }
  }
  return out;
}

function pivot<T extends { bucket: string; version: number }>(
  points: T[],
  versions: number[],
  value: (p: T) => number | null,
): { x: number[]; series: Map<number, Array<number | null>> } {
  const buckets = [...new Set(points.map((p) => p.bucket))].sort();
  const index = new Map(buckets.map((b, i) => [b, i]));
  const series = new Map<number, Array<number | null>>();
  for (const v of versions) series.set(v, new Array<number | null>(buckets.length).fill(null));
  for (const p of points) {
    const row = series.get(p.version);
    const i = index.get(p.bucket);
    if (row !== undefined && i !== undefined) row[i] = value(p);
  }
  return { x: buckets.map((b) => Date.parse(b) / 1000), series };
}

/** Page 2: one prompt — the per-version table, time series with label moves, traffic by label. */
export function PromptPage(props: { name: string; route: Route; window: TimeWindow }) {
  const { name, window } = props;
  const env = props.route.query.get('env') ?? undefined;
  const base = { prompt: name, from: window.from, to: window.to, environment: env };
  const key = `${name}|${window.from}|${window.to}|${env ?? ''}`;
  // One request for the whole page (the collector reads it in as few engine queries as it can).
  const data = useAsync<PromptData>(async () => {
    const page = await getJson<PromptPageResponse>('/api/v1/prompt-page', {
      ...base,
      interval: window.intervalSeconds,
    });
    return {
      metrics: { prompt: page.prompt, from: page.from, to: page.to, versions: page.versions },
      share: page.labels,
      series: page.points,
      scores: page.scorePoints,
      spanHistory: page.labelHistory,
      registryHistory: page.registryHistory,
    };
  }, key);
  const dims = useAsync(
    () => getJson<Dimensions>('/api/v1/dimensions', { prompt: name, from: window.from, to: window.to }),
    `${name}|${window.from}|${window.to}`,
  );
  const range = props.route.query.get('range') ?? undefined;
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs">
        <a href={href([], { range, env })}>Prompts</a> /
      </p>
      <h1 id="page-title">{name}</h1>
      <nav class="subnav" aria-label="Prompt views">
        <a href={href(['prompt', name, 'compare'], { range, env })}>Compare versions</a>
        <a href={href(['prompt', name, 'generations'], { range, env })}>Generations</a>
        <a href={href(['regressions'], { prompt: name })}>Regressions</a>
        <a href={href(['registry', name])}>Registry</a>
      </nav>
      <Filters route={props.route} window={window} environments={dims.data?.environments ?? []} />
      <Loaded state={data} what="this prompt's metrics">
        {(d) => {
          if (d.metrics.versions.length === 0)
            return (
              <Empty title={`No generation of ${name} in this window.`}>
                <p>
                  Pick a longer time range or another environment. A generation counts for a version when its
                  span carries <code>gen_ai.prompt.name</code> and <code>gen_ai.prompt.version</code> (the
                  SDK's <code>observe()</code> with a prompt sets both); <code>promptline unlinked</code>{' '}
                  lists generations that count towards no version, and why.
                </p>
              </Empty>
            );
          return <PromptBody name={name} window={window} data={d} range={range} env={env} />;
        }}
      </Loaded>
    </section>
  );
}

function PromptBody(props: {
  name: string;
  window: TimeWindow;
  data: PromptData;
  range: string | undefined;
  env: string | undefined;
}) {
  const { data, window, name } = props;
  // The API lists versions newest first (whole numbers by number, then named versions by first
  // call); charts draw them oldest first.
  const newestFirst = data.metrics.versions;
  const versions = newestFirst.map((v) => v.version).reverse();
  const colors = versionColors(versions);
  const colorOf = new Map(versions.map((v, i) => [v, colors[i] ?? '#333']));
  const labelOf = new Map(newestFirst.map((v) => [v.version, versionLabel(v)]));
  const shown = (v: number): string => labelOf.get(v) ?? `v${v}`;
  const labelsOf = (v: number): string[] => data.share.filter((s) => s.version === v).map((s) => s.label);
  const spanMarkers = spanMoves(data.spanHistory);
  const markers: Marker[] = [...data.registryHistory.map((m) => markerText('registry', m)), ...spanMarkers];
  // The registry moves `latest` on every push: on the charts only when calls were served under it
  // (the moves table lists every move).
  const servedLatest = data.share.some((s) => s.label === 'latest');
  const chartMarkers: Marker[] = [
    ...data.registryHistory
      .filter((m) => servedLatest || m.label !== 'latest')
      .map((m) => markerText('registry', m)),
    ...spanMarkers,
  ];
  const chartRange: [number, number] = [Date.parse(window.from) / 1000, Date.parse(window.to) / 1000];
  const chart = (
    id: string,
    title: string,
    value: (p: TimeSeriesPoint) => number | null,
    yFormat: (v: number) => string,
  ) => {
    const { x, series } = pivot(data.series, versions, value);
    const list: ChartSeries[] = versions.map((v) => ({
      label: shown(v),
      color: colorOf.get(v) ?? '#333',
      values: series.get(v) ?? [],
    }));
    return (
      <TimeChart
        id={id}
        title={title}
        x={x}
        series={list}
        range={chartRange}
        markers={chartMarkers}
        yFormat={yFormat}
      />
    );
  };
  const scoreNames = [...new Set(data.scores.map((s) => s.name))].sort();
  const allScores = [...new Set(data.metrics.versions.flatMap((v) => v.scores.map((s) => s.name)))].sort();
  return (
    <>
      <h2>Versions</h2>
      <div class="scroll">
        <table class="data" id="versions-table">
          <caption>
            Per version, {fmtTime(data.metrics.from)} – {fmtTime(data.metrics.to)}. Latency quantiles over all
            calls; tokens and cost per call over successful calls; n is the number of values each figure is
            computed from.
          </caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Labels</th>
              <th scope="col" class="num">
                Calls
              </th>
              <th scope="col" class="num">
                Errors
              </th>
              <th scope="col" class="num">
                Error rate
              </th>
              <th scope="col" class="num">
                p50
              </th>
              <th scope="col" class="num">
                p95
              </th>
              <th scope="col" class="num">
                p99
              </th>
              <th scope="col" class="num">
                Mean
              </th>
              <th scope="col" class="num">
                TTFT p50
              </th>
              <th scope="col" class="num">
                TTFT p95
              </th>
              <th scope="col" class="num">
                Tokens in / out
              </th>
              <th scope="col" class="num">
                Tokens / call p50
              </th>
              <th scope="col" class="num">
                Cost
              </th>
              <th scope="col" class="num">
                Cost / call p50
              </th>
              <th scope="col" class="num">
                Validation passed
              </th>
              {allScores.map((s) => (
                <th scope="col" class="num" key={s}>
                  Score {s}
                </th>
              ))}
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col">Drill down</th>
            </tr>
          </thead>
          <tbody>
            {newestFirst.map((v, i) => (
              <VersionRow
                key={v.version}
                v={v}
                labels={labelsOf(v.version)}
                scores={allScores}
                name={name}
                range={props.range}
                env={props.env}
                previous={newestFirst[i + 1]}
              />
            ))}
          </tbody>
        </table>
      </div>

      <h2>Traffic share by label</h2>
      <table class="data" id="share-table">
        <caption>Calls per label and the version it served in this window.</caption>
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Version</th>
            <th scope="col" class="num">
              Calls
            </th>
            <th scope="col" class="num">
              Share
            </th>
            <th scope="col">
              <span class="sr-only">Share bar</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data.share.map((s) => (
            <tr key={`${s.label}-${s.version}`} data-label={s.label} data-version={s.version}>
              <th scope="row">{s.label === '' ? <span class="muted">(no label)</span> : s.label}</th>
              <td>{shown(s.version)}</td>
              <Fig name="requests" value={s.requests} text={fmtCount(s.requests)} />
              <Fig name="share" value={s.share} text={fmtRate(s.share)} />
              <td>
                <meter min={0} max={1} value={s.share} aria-label={`${s.label || 'no label'} share`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Over time</h2>
      <p class="muted">
        One line per version,{' '}
        {window.intervalSeconds >= 3600
          ? `${window.intervalSeconds / 3600} h`
          : `${window.intervalSeconds / 60} min`}{' '}
        buckets. Dashed lines mark label moves: <span class="key-registry">◆ in the registry</span> and{' '}
        <span class="key-spans">◆ first seen in traffic</span> (hover or focus a marker for who and when).
      </p>
      <div class="charts">
        {chart('chart-calls', 'Calls', (p) => p.requests, fmtNum)}
        {chart('chart-errors', 'Errors', (p) => p.errors, fmtNum)}
        {chart('chart-p50', 'Latency p50', (p) => p.latencyP50Ms, fmtMs)}
        {chart('chart-p95', 'Latency p95', (p) => p.latencyP95Ms, fmtMs)}
        {chart('chart-p99', 'Latency p99', (p) => p.latencyP99Ms, fmtMs)}
        {chart('chart-ttft', 'Time to first token p50', (p) => p.ttftP50Ms, fmtMs)}
        {chart('chart-tokens', 'Tokens (input + output)', (p) => p.totalTokens, fmtCount)}
        {chart('chart-cost', 'Cost', (p) => p.costUsd, fmtUsd)}
        {scoreNames.map((s) => {
          const { x, series } = pivot(
            data.scores.filter((p) => p.name === s),
            versions,
            (p) => p.mean,
          );
          return (
            <TimeChart
              key={s}
              id={`chart-score-${s}`}
              title={`Score ${s}: mean`}
              x={x}
              series={versions.map((v) => ({
                label: shown(v),
                color: colorOf.get(v) ?? '#333',
                values: series.get(v) ?? [],
              }))}
              range={chartRange}
              markers={chartMarkers}
              yFormat={fmtNum}
            />
          );
        })}
      </div>

      <h2>Label moves</h2>
      {markers.length === 0 ? (
        <p class="muted">No label moved: every label served one version.</p>
      ) : (
        <table class="data" id="moves-table">
          <caption>
            From the registry (who moved it) and from traffic (when spans first carried the new version). The
            charts leave out the registry's moves of <code>latest</code> (it follows every push) unless calls
            were served under it.
          </caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Move</th>
              <th scope="col">Source</th>
            </tr>
          </thead>
          <tbody>
            {[...markers]
              .sort((a, b) => a.t - b.t)
              .map((m, i) => (
                <tr key={i}>
                  <td>{fmtTime(new Date(m.t * 1000).toISOString())}</td>
                  <td>{m.title}</td>
                  <td>{m.detail}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function VersionRow(props: {
  v: VersionMetrics;
  labels: string[];
  scores: string[];
  name: string;
  range: string | undefined;
  env: string | undefined;
  /** The next older version in the list, to compare with. */
  previous: VersionMetrics | undefined;
}) {
  const { v } = props;
  const iv = v.intervals ?? {};
  return (
    <tr data-version={v.version}>
      <th scope="row">{versionLabel(v)}</th>
      <td>
        {props.labels.length === 0
          ? '–'
          : props.labels.map((l) => <Chip key={l}>{l === '' ? '(none)' : l}</Chip>)}
      </td>
      <Fig name="requests" value={v.requests} text={fmtCount(v.requests)} />
      <Fig name="errors" value={v.errors} text={fmtCount(v.errors)} />
      <Fig
        name="errorRate"
        value={v.errorRate}
        text={fmtRate(v.errorRate)}
        interval={iv.errorRate}
        format={fmtRate}
        n={v.requests}
      />
      <Fig
        name="latencyMs.p50"
        value={v.latencyMs.p50}
        text={fmtMs(v.latencyMs.p50)}
        interval={iv['latencyMs.p50']}
        format={fmtMs}
      />
      <Fig
        name="latencyMs.p95"
        value={v.latencyMs.p95}
        text={fmtMs(v.latencyMs.p95)}
        interval={iv['latencyMs.p95']}
        format={fmtMs}
      />
      <Fig
        name="latencyMs.p99"
        value={v.latencyMs.p99}
        text={fmtMs(v.latencyMs.p99)}
        interval={iv['latencyMs.p99']}
        format={fmtMs}
      />
      <Fig
        name="latencyMs.mean"
        value={v.latencyMs.mean ?? null}
        text={fmtMs(v.latencyMs.mean)}
        interval={iv['latencyMs.mean']}
        format={fmtMs}
      />
      <Fig
        name="ttftMs.p50"
        value={v.ttftMs?.p50 ?? null}
        text={fmtMs(v.ttftMs?.p50)}
        n={v.ttftMs?.count}
        interval={iv['ttftMs.p50']}
        format={fmtMs}
      />
      <Fig
        name="ttftMs.p95"
        value={v.ttftMs?.p95 ?? null}
        text={fmtMs(v.ttftMs?.p95)}
        interval={iv['ttftMs.p95']}
        format={fmtMs}
      />
      <td class="num" data-fig="tokens" data-value={`${v.inputTokens}/${v.outputTokens}`}>
        {fmtCount(v.inputTokens)} / {fmtCount(v.outputTokens)}
      </td>
      <Fig name="totalTokens.p50" value={v.totalTokens.p50} text={fmtCount(v.totalTokens.p50)} />
      <Fig name="totalCostUsd" value={v.totalCostUsd} text={fmtUsd(v.totalCostUsd)} />
      <Fig name="costUsd.p50" value={v.costUsd.p50} text={fmtUsd(v.costUsd.p50)} />
      <Fig
        name="validationPassRate"
        value={v.validationPassRate}
        text={fmtRate(v.validationPassRate)}
        n={v.validated > 0 ? v.validated : undefined}
        interval={iv.validationPassRate}
        format={fmtRate}
      />
      {props.scores.map((name) => {
        const s = v.scores.find((x) => x.name === name);
        return (
          <Fig
            key={name}
            name={`score:${name}`}
            value={s?.mean ?? null}
            text={fmtNum(s?.mean)}
            n={s?.count}
            interval={s?.intervals?.mean}
            format={fmtNum}
          />
        );
      })}
      <td>{fmtTime(v.firstSeen)}</td>
      <td>{fmtTime(v.lastSeen)}</td>
      <td class="actions">
        <a
          href={href(['prompt', props.name, 'generations'], {
            version: versionParam(v),
            range: props.range,
            env: props.env,
          })}
          aria-label={`${versionLabel(v)}: generations`}
        >
          generations
        </a>
        {props.previous !== undefined ? (
          <a
            href={href(['prompt', props.name, 'compare'], {
              a: versionParam(props.previous),
              b: versionParam(v),
              range: props.range,
              env: props.env,
            })}
            aria-label={`${versionLabel(v)}: compare with ${versionLabel(props.previous)}`}
          >
            compare with {versionLabel(props.previous)}
          </a>
        ) : null}
      </td>
    </tr>
  );
}
