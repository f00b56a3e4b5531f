import { ApiError, getJson } from '../api.js';
import type { DiffResponse, Distributions, MetricsResponse, VersionComparison } from '../api.js';
import { ComparisonTable } from '../components/ComparisonTable.js';
import { Empty, Loaded } from '../components/common.js';
import { DiffView } from '../components/DiffView.js';
import { DistChart } from '../components/DistChart.js';
import { Filters, withQuery } from '../components/Filters.js';
import { fmtCount, fmtMs, fmtNum } from '../format.js';
import type { Route } from '../route.js';
import { go, href } from '../route.js';
import type { TimeWindow } from '../timeRange.js';
import { useAsync } from '../useAsync.js';

/** Page 3: two versions side by side — tests and verdicts, distributions, and the template diff. */
export function ComparePage(props: { name: string; route: Route; window: TimeWindow }) {
  const { name, window, route } = props;
  const env = route.query.get('env') ?? undefined;
  const base = { prompt: name, from: window.from, to: window.to, environment: env };
  const versions = useAsync(
    () =>
      getJson<MetricsResponse>('/api/v1/metrics', { ...base, scores: 'false' }).then((m) =>
        m.versions
          .map((v) => ({ version: v.version, requests: v.requests }))
          .sort((a, b) => a.version - b.version),
      ),
    `${name}|${window.from}|${window.to}|${env ?? ''}`,
  );
  const range = route.query.get('range') ?? undefined;
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs">
        <a href={href([], { range, env })}>Prompts</a> /{' '}
        <a href={href(['prompt', name], { range, env })}>{name}</a> /
      </p>
      <h1 id="page-title">Compare versions of {name}</h1>
      <Filters route={route} window={window} />
      <Loaded state={versions} what="versions">
        {(list) => {
          if (list.length < 2)
            return (
              <Empty title="Fewer than two versions have traffic in this window.">
                <p>Pick a longer time range; a comparison needs calls of both versions in the same window.</p>
              </Empty>
            );
          const a = Number(route.query.get('a') ?? list[list.length - 2]!.version);
          const b = Number(route.query.get('b') ?? list[list.length - 1]!.version);
          return (
            <>
              <form class="filters" aria-label="Versions to compare" onSubmit={(e) => e.preventDefault()}>
                <label>
                  Baseline{' '}
                  <select
                    value={String(a)}
                    onChange={(e) => go(withQuery(route, { a: (e.target as HTMLSelectElement).value }))}
                  >
                    {list.map((v) => (
                      <option key={v.version} value={String(v.version)}>
                        v{v.version} ({fmtCount(v.requests)} calls)
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Candidate{' '}
                  <select
                    value={String(b)}
                    onChange={(e) => go(withQuery(route, { b: (e.target as HTMLSelectElement).value }))}
                  >
                    {list.map((v) => (
                      <option key={v.version} value={String(v.version)}>
                        v{v.version} ({fmtCount(v.requests)} calls)
                      </option>
                    ))}
                  </select>
                </label>
              </form>
              {a === b ? (
                <p class="muted">Pick two different versions.</p>
              ) : (
                <Comparison name={name} a={a} b={b} base={base} />
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function Comparison(props: { name: string; a: number; b: number; base: Record<string, string | undefined> }) {
  const { name, a, b, base } = props;
  const key = `${JSON.stringify(base)}|${a}|${b}`;
  const report = useAsync(
    () => getJson<VersionComparison>('/api/v1/compare', { ...base, baseline: a, candidate: b }),
    key,
  );
  const dists = useAsync(
    () => getJson<Distributions>('/api/v1/distributions', { ...base, versions: `${a},${b}` }),
    key,
  );
  const diff = useAsync(
    () =>
      getJson<DiffResponse>(`/api/v1/prompts/${encodeURIComponent(name)}/diff`, { from: a, to: b }).catch(
        (e: unknown) => {
          if (e instanceof ApiError && e.status === 404) return null;
          throw e;
        },
      ),
    `${name}|${a}|${b}`,
  );
  return (
    <>
      <h2>Tests and verdicts</h2>
      <Loaded state={report} what="the comparison">
        {(r) => (
          <>
            <p>
              v{r.baseline}:{' '}
              <strong data-testid="baseline-generations">{fmtCount(r.baselineGenerations)}</strong> calls, v
              {r.candidate}:{' '}
              <strong data-testid="candidate-generations">{fmtCount(r.candidateGenerations)}</strong> calls.
              Family-wise α = {r.alpha} (Holm–Bonferroni).
            </p>
            <ComparisonTable
              id="compare-table"
              caption={`v${r.candidate} against v${r.baseline}, same window. Rank tests (Mann–Whitney) for latency and scores, Welch's t for tokens and cost, proportions for the error rate.`}
              metrics={r.metrics}
              baseline={`v${r.baseline}`}
              candidate={`v${r.candidate}`}
            />
          </>
        )}
      </Loaded>
      <h2>Distributions</h2>
      <Loaded state={dists} what="the distributions">
        {(d) => (
          <div class="charts">
            <DistChart
              id="dist-latency"
              title="Latency"
              dist={d.latencyMs}
              versions={[a, b]}
              format={fmtMs}
            />
            <DistChart
              id="dist-ttft"
              title="Time to first token"
              dist={d.ttftMs}
              versions={[a, b]}
              format={fmtMs}
            />
            {Object.entries(d.scores).map(([s, dist]) => (
              <DistChart
                key={s}
                id={`dist-score-${s}`}
                title={`Score ${s}`}
                dist={dist}
                versions={[a, b]}
                format={fmtNum}
              />
            ))}
          </div>
        )}
      </Loaded>
      <h2>Template diff</h2>
      <Loaded state={diff} what="the diff">
        {(d) =>
          d === null ? (
            <Empty title={`${name} v${a} or v${b} is not in the prompt registry.`}>
              <p>
                Push the prompt files to see their diff: <code>promptline prompts push DIR</code>.
              </p>
            </Empty>
          ) : (
            <DiffView diff={d} />
          )
        }
      </Loaded>
    </>
  );
}
