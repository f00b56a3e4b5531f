import { ApiError, getJson } from '../api.js';
import type { GenerationDetail } from '../api.js';
import { Chip, Empty, Loaded } from '../components/common.js';
import { fmtCount, fmtMs, fmtNum, fmtTimeSeconds, fmtUsd, versionLabel, versionParam } from '../format.js';
import { href } from '../route.js';
import { useAsync } from '../useAsync.js';

/** One generation: every stored figure, its scores, captured input/output and span attributes. */
export function GenerationPage(props: { traceId: string; spanId: string }) {
  const { traceId, spanId } = props;
  const detail = useAsync(
    () =>
      getJson<GenerationDetail>(
        `/api/v1/generations/${encodeURIComponent(traceId)}/${encodeURIComponent(spanId)}`,
      ).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    `${traceId}|${spanId}`,
  );
  return (
    <section aria-labelledby="page-title">
      <Loaded state={detail} what="the generation">
        {(g) =>
          g === null ? (
            <>
              <h1 id="page-title">Generation not found</h1>
              <Empty title="This project has no generation with that trace and span id." />
            </>
          ) : (
            <>
              <p class="crumbs">
                <a href={href([])}>Prompts</a> / <a href={href(['prompt', g.promptName])}>{g.promptName}</a> /{' '}
                <a href={href(['prompt', g.promptName, 'generations'], { version: versionParam(g) })}>
                  generations of {versionLabel(g)}
                </a>{' '}
                /
              </p>
              <h1 id="page-title">
                {g.promptName} {versionLabel(g)} at {fmtTimeSeconds(g.time)}{' '}
                {g.status === 'ok' ? (
                  <Chip kind="good">ok</Chip>
                ) : (
                  <Chip kind="bad">{g.errorType || 'error'}</Chip>
                )}
              </h1>
              <dl class="facts" id="generation-facts">
                <dt>Trace / span</dt>
                <dd>
                  <code>{g.traceId}</code> / <code>{g.spanId}</code>
                </dd>
                <dt>Span</dt>
                <dd>{g.spanName || '–'}</dd>
                <dt>Label / environment</dt>
                <dd>
                  {g.label || '–'} / {g.environment || '–'}
                </dd>
                <dt>Model</dt>
                <dd>
                  {g.model || '–'} ({g.provider || 'provider unknown'})
                </dd>
                <dt>Service</dt>
                <dd>{g.serviceName}</dd>
                <dt>Latency</dt>
                <dd data-value={g.latencyMs}>{fmtMs(g.latencyMs)}</dd>
                <dt>Time to first token</dt>
                <dd>{fmtMs(g.ttftMs)}</dd>
                <dt>Tokens in / out</dt>
                <dd>
                  {fmtCount(g.inputTokens)} / {fmtCount(g.outputTokens)} (cache read{' '}
                  {fmtCount(g.cacheReadTokens)}, reasoning {fmtCount(g.reasoningTokens)})
                </dd>
                <dt>Cost</dt>
                <dd data-value={g.costUsd}>
                  {fmtUsd(g.costUsd)} (input {fmtUsd(g.inputCostUsd)}, output {fmtUsd(g.outputCostUsd)}; from{' '}
                  {g.costSource})
                </dd>
                <dt>Validation</dt>
                <dd>{g.validationPassed === null ? '–' : g.validationPassed ? 'passed' : 'failed'}</dd>
                <dt>Experiment</dt>
                <dd>{g.experiment === null ? '–' : `${g.experiment.name}: ${g.experiment.arm}`}</dd>
                <dt>Prompt hash</dt>
                <dd>
                  <code>{g.promptHash || '–'}</code>
                </dd>
                {g.statusMessage !== '' ? (
                  <>
                    <dt>Status message</dt>
                    <dd>{g.statusMessage}</dd>
                  </>
                ) : null}
              </dl>
              <h2>Scores</h2>
              {g.scores.length === 0 ? (
                <p class="muted">No score for this generation.</p>
              ) : (
                <table class="data" id="scores-table">
                  <caption>Scores sent for this generation.</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col" class="num">
                        Value
                      </th>
                      <th scope="col">Label</th>
                      <th scope="col">Source</th>
                      <th scope="col">Comment</th>
                      <th scope="col">Time</th>
                    </tr>
                  </thead>
                  <tbody>
                    {g.scores.map((s, i) => (
                      <tr key={i}>
                        <th scope="row">{s.name}</th>
                        <td class="num">{fmtNum(s.value)}</td>
                        <td>{s.label || '–'}</td>
                        <td>{s.source || '–'}</td>
                        <td>{s.comment || '–'}</td>
                        <td>{fmtTimeSeconds(s.time)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <h2>Input</h2>
              <Captured text={g.input} truncated={g.inputTruncated} what="input" />
              <h2>Output</h2>
              <Captured text={g.output} truncated={g.outputTruncated} what="output" />
              <h2>Span attributes</h2>
              <table class="data attrs" id="attributes-table">
                <caption>As stored (input and output already redacted at ingest).</caption>
                <thead>
                  <tr>
                    <th scope="col">Attribute</th>
                    <th scope="col">Value</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(g.attributes)
                    .sort(([a], [b]) => (a < b ? -1 : 1))
                    .map(([k, v]) => (
                      <tr key={k}>
                        <th scope="row">
                          <code>{k}</code>
                        </th>
                        <td class="wrap">{v.length > 300 ? `${v.slice(0, 300)}…` : v}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </>
          )
        }
      </Loaded>
    </section>
  );
}

function Captured(props: { text: string | null; truncated: boolean; what: string }) {
  if (props.text === null)
    return (
      <p class="muted">
        Not captured. Turn capture on in the SDK (
        <code>
          init({'{'} {props.what === 'input' ? 'captureInput' : 'captureOutput'}: true {'}'})
        </code>
        ) or send it with{' '}
        <code>
          update({'{'} {props.what} {'}'})
        </code>
        .
      </p>
    );
  return (
    <>
      <pre
        class="code captured"
        data-testid={`captured-${props.what}`}
        tabIndex={0}
        aria-label={`Captured ${props.what}`}
      >
        {props.text}
      </pre>
      {props.truncated ? <p class="muted">Cut to the SDK's capture limit.</p> : null}
    </>
  );
}
