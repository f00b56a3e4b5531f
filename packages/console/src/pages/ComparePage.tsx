import { ApiError, getJson } from '../api.js';
import type { DiffResponse, Distributions, MetricsResponse, VersionComparison } from '../api.js';
import { ComparisonTable } from '../components/ComparisonTable.js';
import { Empty, Loaded } from '../components/common.js';
import { DiffView } from '../components/DiffView.js';
import { DistChart } from '../components/DistChart.js';
import { Filters, withQuery } from '../components/Filters.js';
import { fmtCount, fmtMs, fmtNum, isVersion, versionLabel, versionParam } from '../format.js';
import type { VersionRef } from '../format.js';
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
        // Oldest first (the API lists newest first): the default pair is the newest two.
        m.versions
          .map((v) => ({ version: v.version, versionName: v.versionName, requests: v.requests }))
          .reverse(),
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
          // `a`/`b` are versions as sent (`3`, `2.1.0`); one without traffic here is still compared.
          const pick = (text: string | null, fallback: VersionRef): VersionRef =>
            text === null || text === ''
              ? fallback
              : (list.find((v) => isVersion(v, text)) ?? { version: 0, versionName: text });
          const a = pick(route.query.get('a'), list[list.length - 2]!);
          const b = pick(route.query.get('b'), list[list.length - 1]!);
          return (
            <>
              <form class="filters" aria-label="Versions to compare" onSubmit={(e) => e.preventDefault()}>
                <label>
                  Baseline{' '}
                  <select
                    value={versionParam(a)}
                    onChange={(e) => go(withQuery(route, { a: (e.target as HTMLSelectElement).value }))}
                  >
                    {list.map((v) => (
                      <option key={v.version} value={versionParam(v)}>
                        {versionLabel(v)} ({fmtCount(v.requests)} calls)
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Candidate{' '}
                  <select
                    value={versionParam(b)}
                    onChange={(e) => go(withQuery(route, { b: (e.target as HTMLSelectElement).value }))}
                  >
                    {list.map((v) => (
                      <option key={v.version} value={versionParam(v)}>
                        {versionLabel(v)} ({fmtCount(v.requests)} calls)
                      </option>
                    ))}
                  </select>
                </label>
              </form>
              {versionParam(a) === versionParam(b) ? (
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

/** The registry's number of a whole-number version (the registry issues whole numbers only). */
function registryNumber(v: VersionRef): number | undefined {
  const t = versionParam(v).replace(/^[vV]/, '');
  return /^[0-9]+$/.test(t) && Number(t) < 2 ** 31 ? Number(t) : undefined;
}

function Comparison(props: {
  name: string;
  a: VersionRef;
  b: VersionRef;
  base: Record<string, string | undefined>;
}) {
  const { name, base } = props;
  const a = versionParam(props.a);
  const b = versionParam(props.b);
  const key = `${JSON.stringify(base)}|${a}|${b}`;
  const report = useAsync(
    () => getJson<VersionComparison>('/api/v1/compare', { ...base, baseline: a, candidate: b }),
    key,
  );
  const dists = useAsync(
    () => getJson<Distributions>('/api/v1/distributions', { ...base, versions: `${a},${b}` }),
    key,
  );
  const fromNumber = registryNumber(props.a);
  const toNumber = registryNumber(props.b);
  const diff = useAsync(
    () =>
      fromNumber === undefined || toNumber === undefined
        ? Promise.resolve(null)
        : getJson<DiffResponse>(`/api/v1/prompts/${encodeURIComponent(name)}/diff`, {
            from: fromNumber,
            to: toNumber,
          }).catch((e: unknown) => {
            if (e instanceof ApiError && e.status === 404) return null;
            throw e;
          }),
    `${name}|${a}|${b}`,
  );
  const labelA = versionLabel(props.a);
  const labelB = versionLabel(props.b);
  return (
    <>
      <h2>Tests and verdicts</h2>
      <Loaded state={report} what="the comparison">
        {(r) => (
          <>
            <p>
              <span data-testid="baseline-version">{baselineLabel(r)}</span>:{' '}
              <strong data-testid="baseline-generations">{fmtCount(r.baselineGenerations)}</strong> calls,{' '}
              <span data-testid="candidate-version">{candidateLabel(r)}</span>:{' '}
              <strong data-testid="candidate-generations">{fmtCount(r.candidateGenerations)}</strong> calls.
              Family-wise α = {r.alpha} (Holm–Bonferroni).
            </p>
            <ComparisonTable
              id="compare-table"
              caption={`${candidateLabel(r)} against ${baselineLabel(r)}, same window. Medians: Mann–Whitney; means: Welch's t; rates: proportions; labels: chi-square. 95% intervals in brackets.`}
              metrics={r.metrics}
              baseline={baselineLabel(r)}
              candidate={candidateLabel(r)}
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
              versions={d.versions}
              labels={[labelA, labelB]}
              format={fmtMs}
            />
            <DistChart
              id="dist-ttft"
              title="Time to first token"
              dist={d.ttftMs}
              versions={d.versions}
              labels={[labelA, labelB]}
              format={fmtMs}
            />
            {Object.entries(d.scores).map(([s, dist]) => (
              <DistChart
                key={s}
                id={`dist-score-${s}`}
                title={`Score ${s}`}
                dist={dist}
                versions={d.versions}
                labels={[labelA, labelB]}
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
            <Empty title={`${name} ${labelA} or ${labelB} is not in the prompt registry.`}>
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

function baselineLabel(r: VersionComparison): string {
  return versionLabel({ version: r.baseline, versionName: r.baselineName });
}

function candidateLabel(r: VersionComparison): string {
  return versionLabel({ version: r.candidate, versionName: r.candidateName });
}
