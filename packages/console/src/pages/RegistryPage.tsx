import { ApiError, getJson } from '../api.js';
import type { DiffResponse, RegistryLabelMove, RegistryPromptSummary, RegistryVersion } from '../api.js';
import { Chip, Empty, Loaded } from '../components/common.js';
import { DiffView } from '../components/DiffView.js';
import { withQuery } from '../components/Filters.js';
import { fmtTime, fmtTimeSeconds } from '../format.js';
import type { Route } from '../route.js';
import { go, href } from '../route.js';
import { useAsync } from '../useAsync.js';

/** Page 6, list: every prompt in the registry. */
export function RegistryListPage() {
  const list = useAsync(() => getJson<{ prompts: RegistryPromptSummary[] }>('/api/v1/prompts'), 'registry');
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Registry</h1>
      <Loaded state={list} what="the registry">
        {(r) =>
          r.prompts.length === 0 ? (
            <Empty title="The prompt registry is empty.">
              <p>
                Push prompt files (one <code>*.prompt.yaml</code> per prompt) with an admin or write key:{' '}
                <code>promptline prompts push prompts/</code>, or <code>POST /api/v1/prompts</code>.
              </p>
            </Empty>
          ) : (
            <table class="data" id="registry-table">
              <caption>Prompts in the registry, with their latest version and current labels.</caption>
              <thead>
                <tr>
                  <th scope="col">Prompt</th>
                  <th scope="col" class="num">
                    Versions
                  </th>
                  <th scope="col">Latest</th>
                  <th scope="col">Labels</th>
                  <th scope="col">Last version created</th>
                </tr>
              </thead>
              <tbody>
                {r.prompts.map((p) => (
                  <tr key={p.name}>
                    <th scope="row">
                      <a href={href(['registry', p.name])}>{p.name}</a>
                    </th>
                    <td class="num">{p.versionCount}</td>
                    <td>v{p.latestVersion}</td>
                    <td>
                      {Object.entries(p.labels)
                        .filter(([l]) => l !== 'latest')
                        .map(([l, v]) => (
                          <Chip key={l}>
                            {l} → v{v}
                          </Chip>
                        ))}
                    </td>
                    <td>{fmtTime(p.lastCreatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  );
}

/** Page 6, one prompt: versions, labels, label history (who/when) and a diff of any two versions. */
export function RegistryPromptPage(props: { name: string; route: Route }) {
  const { name, route } = props;
  const data = useAsync(
    () =>
      Promise.all([
        getJson<{ versions: RegistryVersion[] }>(`/api/v1/prompts/${encodeURIComponent(name)}/versions`),
        getJson<{ history: RegistryLabelMove[] }>(`/api/v1/prompts/${encodeURIComponent(name)}/history`),
      ])
        .then(([v, h]) => ({ versions: v.versions, history: h.history }))
        .catch((e: unknown) => {
          if (e instanceof ApiError && e.status === 404) return null;
          throw e;
        }),
    name,
  );
  return (
    <section aria-labelledby="page-title">
      <p class="crumbs">
        <a href={href(['registry'])}>Registry</a> /
      </p>
      <h1 id="page-title">{name} in the registry</h1>
      <nav class="subnav" aria-label="Prompt views">
        <a href={href(['prompt', name])}>Metrics</a>
      </nav>
      <Loaded state={data} what="the prompt's versions">
        {(d) => {
          if (d === null)
            return (
              <Empty title={`${name} is not in the registry.`}>
                <p>
                  Push it with <code>promptline prompts push DIR</code>.
                </p>
              </Empty>
            );
          const numbers = d.versions.map((v) => v.version);
          const to = Number(route.query.get('to') ?? numbers[numbers.length - 1]);
          const from = Number(route.query.get('from') ?? numbers[Math.max(0, numbers.length - 2)]);
          return (
            <>
              <h2>Versions</h2>
              <table class="data" id="registry-versions">
                <caption>Every version, oldest first, and the labels pointing at it now.</caption>
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Labels</th>
                    <th scope="col">Type</th>
                    <th scope="col">Message</th>
                    <th scope="col">Created by</th>
                    <th scope="col">Created</th>
                    <th scope="col">Hash</th>
                  </tr>
                </thead>
                <tbody>
                  {d.versions.map((v) => (
                    <tr key={v.version} data-version={v.version}>
                      <th scope="row">v{v.version}</th>
                      <td>
                        {v.labels.map((l) => (
                          <Chip key={l}>{l}</Chip>
                        ))}
                      </td>
                      <td>{v.type}</td>
                      <td>{v.commitMessage || '–'}</td>
                      <td>{v.createdBy}</td>
                      <td>{fmtTime(v.createdAt)}</td>
                      <td>
                        <code>{v.contentHash}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h2>Label history</h2>
              {d.history.length === 0 ? (
                <p class="muted">No label was ever moved.</p>
              ) : (
                <table class="data" id="registry-history">
                  <caption>
                    Every label move: who moved which label, when, from which version to which.
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Label</th>
                      <th scope="col">From</th>
                      <th scope="col">To</th>
                      <th scope="col">Who</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...d.history].reverse().map((m, i) => (
                      <tr key={i} data-label={m.label}>
                        <td>{fmtTimeSeconds(m.movedAt)}</td>
                        <th scope="row">{m.label}</th>
                        <td>{m.previousVersion === null ? '–' : `v${m.previousVersion}`}</td>
                        <td>v{m.version}</td>
                        <td>{m.actor}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <h2>Diff</h2>
              {numbers.length < 2 ? (
                <p class="muted">Only one version: nothing to compare.</p>
              ) : (
                <>
                  <form class="filters" aria-label="Versions to diff" onSubmit={(e) => e.preventDefault()}>
                    <label>
                      From{' '}
                      <select
                        value={String(from)}
                        onChange={(e) =>
                          go(withQuery(route, { from: (e.target as HTMLSelectElement).value }))
                        }
                      >
                        {numbers.map((n) => (
                          <option key={n} value={String(n)}>
                            v{n}
                          </option>
                        ))}
                      </select>
                    </label>
                    <label>
                      To{' '}
                      <select
                        value={String(to)}
                        onChange={(e) => go(withQuery(route, { to: (e.target as HTMLSelectElement).value }))}
                      >
                        {numbers.map((n) => (
                          <option key={n} value={String(n)}>
                            v{n}
                          </option>
                        ))}
                      </select>
                    </label>
                  </form>
                  <Diff name={name} from={from} to={to} />
                </>
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function Diff(props: { name: string; from: number; to: number }) {
  const diff = useAsync(
    () =>
      getJson<DiffResponse>(`/api/v1/prompts/${encodeURIComponent(props.name)}/diff`, {
        from: props.from,
        to: props.to,
      }),
    `${props.name}|${props.from}|${props.to}`,
  );
  return (
    <Loaded state={diff} what="the diff">
      {(d) => <DiffView diff={d} />}
    </Loaded>
  );
}
