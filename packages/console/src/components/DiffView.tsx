import type { DiffResponse } from '../api.js';
import { fmtNum, fmtTime } from '../format.js';

/** A unified diff of two registry versions, line by line, plus the config and variable changes. */
export function DiffView(props: { diff: DiffResponse }) {
  const { diff, from, to } = props.diff;
  const lines = diff.unified.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  return (
    <div class="diff" data-testid="diff">
      <p>
        v{from.version} ({fmtTime(from.createdAt)}, by {from.createdBy}) → v{to.version} (
        {fmtTime(to.createdAt)}, by {to.createdBy}).{' '}
        {diff.identical
          ? 'Identical content.'
          : `Similarity ${fmtNum(diff.similarity)}, +${diff.addedLines} −${diff.removedLines} lines.`}
        {diff.variablesAdded.length > 0 ? ` Variables added: ${diff.variablesAdded.join(', ')}.` : ''}
        {diff.variablesRemoved.length > 0 ? ` Variables removed: ${diff.variablesRemoved.join(', ')}.` : ''}
      </p>
      {diff.identical ? null : (
        <pre class="code diff-body" aria-label={`Diff of v${from.version} and v${to.version}`} tabIndex={0}>
          {lines.map((l, i) => (
            <span
              key={i}
              class={
                l.startsWith('+++') || l.startsWith('---') || l.startsWith('@@')
                  ? 'diff-meta'
                  : l.startsWith('+')
                    ? 'diff-add'
                    : l.startsWith('-')
                      ? 'diff-del'
                      : ''
              }
            >
              {l}
              {'\n'}
            </span>
          ))}
        </pre>
      )}
      {diff.configChanges.length > 0 ? (
        <table class="data">
          <caption>Config changes</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {diff.configChanges.map((c) => (
              <tr key={c.key}>
                <th scope="row">{c.key}</th>
                <td>{c.before === undefined ? '–' : JSON.stringify(c.before)}</td>
                <td>{c.after === undefined ? '–' : JSON.stringify(c.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
