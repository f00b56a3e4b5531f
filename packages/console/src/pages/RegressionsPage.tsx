import { getJson } from '../api.js';
import type { Overview, RegressionReport } from '../api.js';
import { ComparisonTable } from '../components/ComparisonTable.js';
import { Empty, Loaded, Verdict } from '../components/common.js';
import { withQuery } from '../components/Filters.js';
import { fmtCount, fmtTime, versionLabel, versionParam } from '../format.js';
import type { Route } from '../route.js';
import { go, href } from '../route.js';
import { useAsync } from '../useAsync.js';

const SINCE = ['24h', '7d', '30d'];

/** Page 4: each move of a label, with the metrics before and after it and their verdicts. */
export function RegressionsPage(props: { route: Route }) {
  const { route } = props;
  const since = SINCE.includes(route.query.get('since') ?? '') ? route.query.get('since')! : '7d';
  const label = route.query.get('label') ?? 'production';
  const prompts = useAsync(
    () =>
      getJson<Overview>('/api/v1/overview', { since: '30d' }).then((o) =>
        o.prompts.map((p) => p.name).sort(),
      ),
    'prompts',
  );
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Regressions</h1>
      <p class="muted">
        When a label starts serving a new version, the new version's calls right after the move are compared
        with the old version's calls right before it, over windows of equal length (as{' '}
        <code>promptline regressions</code>).
      </p>
      <Loaded state={prompts} what="prompts">
        {(names) => {
          if (names.length === 0)
            return (
              <Empty title="No prompt has traffic in the last 30 days.">
                <p>Regressions are found around label moves in traffic; send some first.</p>
              </Empty>
            );
          const prompt = route.query.get('prompt') ?? names[0]!;
          return (
            <>
              <form class="filters" aria-label="Regression filters" onSubmit={(e) => e.preventDefault()}>
                <label>
                  Prompt{' '}
                  <select
                    value={prompt}
                    onChange={(e) => go(withQuery(route, { prompt: (e.target as HTMLSelectElement).value }))}
                  >
                    {names.map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Label{' '}
                  <input
                    type="text"
                    value={label}
                    size={12}
                    onChange={(e) => go(withQuery(route, { label: (e.target as HTMLInputElement).value }))}
                  />
                </label>
                <label>
                  Moves in the last{' '}
                  <select
                    value={since}
                    onChange={(e) => go(withQuery(route, { since: (e.target as HTMLSelectElement).value }))}
                  >
                    {SINCE.map((s) => (
                      <option key={s} value={s}>
                        {s}
                      </option>
                    ))}
                  </select>
                </label>
              </form>
              <Moves prompt={prompt} label={label} since={since} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function Moves(props: { prompt: string; label: string; since: string }) {
  const { prompt, label, since } = props;
  const report = useAsync(
    () => getJson<RegressionReport>('/api/v1/regressions', { prompt, label, since }),
    `${prompt}|${label}|${since}`,
  );
  return (
    <Loaded state={report} what="regressions">
      {(r) =>
        r.moves.length === 0 ? (
          <Empty title={`${label} of ${prompt} did not move in the last ${since}.`}>
            <p>
              Moves are read from traffic: the first minute the label served a new version. Move a label with{' '}
              <code>
                promptline prompts label {prompt} {label} VERSION
              </code>{' '}
              and let traffic flow.
            </p>
          </Empty>
        ) : (
          <>
            <p>
              {r.movesFound} move{r.movesFound === 1 ? '' : 's'} found; α = {r.alpha} per move
              (Holm–Bonferroni).
            </p>
            {[...r.moves].reverse().map((m, i) => {
              const from = { version: m.fromVersion, versionName: m.fromVersionName };
              const to = { version: m.toVersion, versionName: m.toVersionName };
              return (
                <article
                  class="move"
                  key={`${m.at}-${m.environment}`}
                  data-testid="move"
                  aria-labelledby={`move-${i}`}
                >
                  <h2 id={`move-${i}`}>
                    {label}: {versionLabel(from)} → {versionLabel(to)} at {fmtTime(m.at)}
                    {m.environment === '' ? '' : ` (${m.environment})`}{' '}
                    {m.regressions.length > 0 ? (
                      <Verdict verdict="worse" />
                    ) : (
                      <Verdict verdict="no significant difference" />
                    )}
                  </h2>
                  <p class="muted">
                    Before: {fmtTime(m.before.from)} – {fmtTime(m.before.to)},{' '}
                    {fmtCount(m.before.generations)} calls of {versionLabel(from)}. After:{' '}
                    {fmtTime(m.after.from)} – {fmtTime(m.after.to)}, {fmtCount(m.after.generations)} calls of{' '}
                    {versionLabel(to)}.{' '}
                    {m.regressions.length > 0
                      ? `Worse: ${m.regressions.join(', ')}.`
                      : 'Nothing got significantly worse.'}{' '}
                    <a
                      href={href(['prompt', prompt, 'compare'], {
                        a: versionParam(from),
                        b: versionParam(to),
                        range: '7d',
                      })}
                    >
                      Compare {versionLabel(from)} and {versionLabel(to)}
                    </a>
                  </p>
                  <ComparisonTable
                    id={`move-table-${i}`}
                    caption={`Before (${versionLabel(from)}) and after (${versionLabel(to)}) the move.`}
                    metrics={m.metrics}
                    baseline={`before (${versionLabel(from)})`}
                    candidate={`after (${versionLabel(to)})`}
                  />
                </article>
              );
            })}
          </>
        )
      }
    </Loaded>
  );
}
