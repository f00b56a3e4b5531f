import { histogramRepresentativeSql } from '../schema/histogram.js';
import { SCORE_VALUE_SQL } from '../read/scoreValue.js';
import { LATE_SCORE_KEYS, lateScoreJoins } from '../read/lateScores.js';

/**
 * Baseline-relative alert rules: does the version a label serves now do significantly worse than
 * the version it served before its last move? One SQL text per rule, the single definition shared
 * by the Grafana rules (deploy/grafana/provisioning/alerting/promptline-alerts.yaml holds the
 * same text; test/deploy checks they are equal) and by `baselineChecks` (the CLI's
 * `promptline check` and the read API).
 *
 * The last move of each (project, prompt, label): from the registry's label log when it has the
 * label (the last event whose version differs from the current one; the move is the event after
 * it), else from the spans' label history (the two versions served most recently; the move is the
 * newer one's first generation, or for a roll-back the older one's last). Moves older than
 * {@link MOVE_MAX_AGE_DAYS} days are settled and not checked.
 *
 * Windows, per environment: "now" is the current version under the label since the move, at most
 * the last 24 h; the baseline is the previous version under the label in the 24 h before the move.
 * Latency and errors read hourly aggregates (whole hour buckets, filtered by version, so the move's
 * hour counts for both sides, each with its own version); scores read raw score rows.
 *
 * The tests, each one-sided at a false-alarm rate of about 0.1% per evaluation:
 * - error rate: the lower Wilson bound of now's rate over the upper Wilson bound of the baseline's
 *   (each one-sided at z = 3.29, 0.05%); fires above 1, i.e. when the intervals do not overlap.
 *   Wilson bounds keep their coverage at small counts and rates near 0, where a z-test does not.
 * - p95 latency: the lower order-statistic bound of now's p95 over the upper bound of the
 *   baseline's (ranks n·q ∓ 3.29·√(n·q·(1−q)), the normal approximation of the binomial; values
 *   from the log-bucketed histograms, within 0.5%). Distribution-free; needs ≥ 100 calls now and
 *   enough baseline calls for the upper rank to exist (≈ 210 for the p95). Fires above 1.
 * - scores (every numeric or boolean score): Welch's t of baseline mean − now mean; fires above
 *   3.4, the one-sided 0.1% point of Student's t at 30 degrees of freedom (conservative for more:
 *   each side needs ≥ 31 scores, so Welch's degrees of freedom are ≥ 30).
 * All assume independent calls and comparable traffic before and after the move (time of day,
 * input mix); the non-overlap rule is stricter than a test of the difference (it needs more
 * evidence), which keeps alerts rare at the cost of some power.
 *
 * @module
 */

/** A move older than this many days is not checked. */
export const MOVE_MAX_AGE_DAYS = 7;
/** z of the one-sided 0.05% bounds (each side of a non-overlap rule). */
export const BOUND_Z = 3.2905;

/** One baseline rule: its id, what it measures, its SQL and its threshold. */
export interface BaselineRule {
  uid: string;
  /** `error_rate`, `latency_p95` or `score`. */
  metric: 'error_rate' | 'latency_p95' | 'score';
  title: string;
  /** The numeric column of the query. */
  valueColumn: string;
  /** Fires when the value is above this. */
  threshold: number;
  /** SQL with Grafana's backend macros `$__fromTime` / `$__toTime`. */
  sql: string;
}

const MOVES = `moves AS (
        -- registry: the last event whose version differs from the current one; the move is the next event
        SELECT pid AS project_id, pname AS prompt_name, plabel AS prompt_label, current_version, previous_version,
            move_time AS moved_at
        FROM (
            SELECT toString(project_id) AS pid, name AS pname, toString(label) AS plabel,
                arraySort(x -> (x.1, x.2), groupArray((moved_at, event_id, version))) AS ev,
                ev[-1].3 AS current_version,
                arrayLastIndex(x -> x.3 != current_version, ev) AS k,
                ev[greatest(k, 1)].3 AS previous_version,
                toDateTime64(ev[k + 1].1, 3, 'UTC') AS move_time
            FROM prompt_label_events
            WHERE moved_at <= $__toTime{{project}}
            GROUP BY project_id, name, label
        )
        WHERE k > 0 AND move_time >= $__toTime - INTERVAL ${MOVE_MAX_AGE_DAYS} DAY
        UNION ALL
        -- spans, for labels the registry does not know: the two versions served most recently; the
        -- move is the newer one's first generation (a roll-back: the older one's last)
        SELECT pid, pname, plabel, vs[-1].1, vs[-2].1,
            toDateTime64(if(vs[-1].2 > vs[-2].2, vs[-1].2, vs[-2].3), 3, 'UTC') AS move_time
        FROM (
            SELECT pid, pname, plabel, arraySort(x -> x.3, groupArray((prompt_version, first, last))) AS vs
            FROM (
                SELECT toString(project_id) AS pid, toString(prompt_name) AS pname, toString(prompt_label) AS plabel,
                    prompt_version, min(first_seen) AS first, max(last_seen) AS last
                FROM promptline_label_history
                WHERE first_seen <= $__toTime{{project}}
                GROUP BY project_id, prompt_name, prompt_label, prompt_version
            )
            GROUP BY pid, pname, plabel
            HAVING length(vs) >= 2
        )
        WHERE (pid, pname, plabel) NOT IN (SELECT toString(project_id), name, toString(label) FROM prompt_label_events)
            AND move_time >= $__toTime - INTERVAL ${MOVE_MAX_AGE_DAYS} DAY
    )`;

/** "now": the current version since the move (last 24 h); baseline: the previous version in the 24 h before. */
const SIDES_FROM_BUCKETS = `(s.prompt_version = m.current_version AND s.bucket >= toStartOfHour(m.moved_at)
            AND s.bucket >= toStartOfHour($__toTime) - INTERVAL 24 HOUR AND s.bucket <= $__toTime)
        OR (s.prompt_version = m.previous_version AND s.bucket >= toStartOfHour(m.moved_at) - INTERVAL 24 HOUR
            AND s.bucket <= m.moved_at)`;

const MOVE_LABELS = `m.project_id AS project, m.prompt_name AS prompt, m.prompt_label AS label, s.environment AS environment,
        toString(m.current_version) AS version, toString(m.previous_version) AS baseline_version`;

const JOIN_STATS = `FROM moves AS m
    INNER JOIN promptline_version_stats_1h AS s
        ON s.project_id = m.project_id AND s.prompt_name = m.prompt_name AND s.prompt_label = m.prompt_label
    WHERE s.bucket >= toStartOfHour($__toTime) - INTERVAL ${MOVE_MAX_AGE_DAYS + 2} DAY
        AND (${SIDES_FROM_BUCKETS})
    GROUP BY project, prompt, label, environment, version, baseline_version`;

const OUTER_LABELS = 'project, prompt, label, environment, version, baseline_version';

/** Wilson bound (`sign` −1 lower, +1 upper) of `e` events in `n` trials at z = BOUND_Z, as SQL. */
function wilsonSql(e: string, n: string, sign: 1 | -1): string {
  const z2 = `${BOUND_Z} * ${BOUND_Z}`;
  return `(((${e} / ${n} + ${z2} / (2 * ${n})) ${sign > 0 ? '+' : '-'} ${BOUND_Z} * sqrt(${e} / ${n} * (1 - ${e} / ${n}) / ${n} + ${z2} / (4 * ${n} * ${n}))) / (1 + ${z2} / ${n}))`;
}

const ERROR_RATE_SQL = `WITH
    ${MOVES}
SELECT ${OUTER_LABELS},
    -- lower Wilson bound of now's error rate / upper Wilson bound of the baseline's (> 1: worse)
    ${wilsonSql('e_now', 'n_now', -1)}
        / ${wilsonSql('e_base', 'n_base', 1)} AS error_rate_bound_ratio
FROM (
    SELECT ${MOVE_LABELS},
        toFloat64(sumIf(s.errors, s.prompt_version = m.current_version)) AS e_now,
        toFloat64(sumIf(s.requests, s.prompt_version = m.current_version)) AS n_now,
        toFloat64(sumIf(s.errors, s.prompt_version = m.previous_version)) AS e_base,
        toFloat64(sumIf(s.requests, s.prompt_version = m.previous_version)) AS n_base
    ${JOIN_STATS}
)
-- minimum sample: 30 generations on each side
WHERE n_now >= 30 AND n_base >= 30`;

/** The value of the order statistic of 1-based rank `r` in sorted (value, count) pairs `prs`, as SQL. */
function rankValueSql(prs: string, r: string): string {
  return `arrayElement(arrayMap(x -> x.1, ${prs}), arrayFirstIndex(c -> c >= ${r}, arrayCumSum(arrayMap(x -> x.2, ${prs}))))`;
}

function pairsSql(h: string): string {
  return `arraySort(x -> x.1, arrayZip(arrayMap(k -> ${histogramRepresentativeSql('k')}, ${h}.1), ${h}.2))`;
}

const Q = 0.95;
const LATENCY_SQL = `WITH
    ${MOVES}
SELECT ${OUTER_LABELS},
    -- lower order-statistic bound of now's p95 / upper bound of the baseline's (> 1: slower)
    ${rankValueSql('p_now', 'l_now')} / ${rankValueSql('p_base', 'u_base')} AS p95_bound_ratio
FROM (
    SELECT ${OUTER_LABELS}, p_now, p_base,
        floor(n_now * ${Q} - ${BOUND_Z} * sqrt(n_now * ${Q} * ${1 - Q})) AS l_now,
        ceil(n_base * ${Q} + ${BOUND_Z} * sqrt(n_base * ${Q} * ${1 - Q})) + 1 AS u_base,
        n_now, n_base
    FROM (
        SELECT ${OUTER_LABELS}, ${pairsSql('h_now')} AS p_now, ${pairsSql('h_base')} AS p_base,
            toFloat64(arraySum(h_now.2)) AS n_now, toFloat64(arraySum(h_base.2)) AS n_base
        FROM (
            SELECT ${MOVE_LABELS},
                sumMapIf(s.latency_ms_h.1, s.latency_ms_h.2, s.prompt_version = m.current_version) AS h_now,
                sumMapIf(s.latency_ms_h.1, s.latency_ms_h.2, s.prompt_version = m.previous_version) AS h_base
            ${JOIN_STATS}
        )
    )
)
-- minimum sample: 100 calls now, and both bounds inside the samples
WHERE n_now >= 100 AND l_now >= 1 AND u_base <= n_base`;

const SCORE_SQL = `WITH
    ${MOVES}
SELECT ${OUTER_LABELS}, score,
    -- Welch's t of baseline mean − now mean (> 0: the score dropped)
    if(se > 0, (mean_base - mean_now) / se, if(mean_base > mean_now, 1e9, 0.)) AS score_drop_t
FROM (
    SELECT ${MOVE_LABELS}, s.score_name AS score,
        avgIf(s.value, s.prompt_version = m.current_version) AS mean_now,
        avgIf(s.value, s.prompt_version = m.previous_version) AS mean_base,
        countIf(s.prompt_version = m.current_version) AS n_now,
        countIf(s.prompt_version = m.previous_version) AS n_base,
        sqrt(varSampIf(s.value, s.prompt_version = m.current_version) / n_now
            + varSampIf(s.value, s.prompt_version = m.previous_version) / n_base) AS se
    FROM moves AS m
    INNER JOIN (
        -- resolved scores, plus scores that arrived before their span (resolved now, through the
        -- response index, then the span index, as the query layer does); a declared boolean's true/false label counts 1/0
        SELECT toString(project_id) AS project_id, toString(prompt_name) AS prompt_name,
            toString(prompt_label) AS prompt_label, toString(environment) AS environment, prompt_version,
            toString(score_name) AS score_name, generation_time AS time, assumeNotNull(v) AS value
        FROM (
            SELECT *, ${SCORE_VALUE_SQL} AS v FROM promptline_scores
            WHERE prompt_version > 0 AND generation_time >= toStartOfHour($__toTime) - INTERVAL ${MOVE_MAX_AGE_DAYS + 2} DAY
        )
        WHERE v IS NOT NULL
        UNION ALL
        SELECT toString(u.project_id), s.prompt_name, s.prompt_label, s.environment, s.prompt_version,
            toString(u.score_name), s.timestamp, assumeNotNull(u.v)
        FROM (
            SELECT project_id, score_name, ${LATE_SCORE_KEYS}, ${SCORE_VALUE_SQL} AS v FROM promptline_scores
            WHERE prompt_version = 0 AND timestamp >= toStartOfHour($__toTime) - INTERVAL ${MOVE_MAX_AGE_DAYS + 2} DAY
        ) AS u
        ${lateScoreJoins('')}
        WHERE u.v IS NOT NULL
        SETTINGS join_algorithm = 'direct,hash'
    ) AS s ON s.project_id = m.project_id AND s.prompt_name = m.prompt_name AND s.prompt_label = m.prompt_label
    WHERE (s.prompt_version = m.current_version AND s.time >= m.moved_at
            AND s.time >= $__toTime - INTERVAL 24 HOUR AND s.time <= $__toTime)
        OR (s.prompt_version = m.previous_version AND s.time >= m.moved_at - INTERVAL 24 HOUR AND s.time < m.moved_at)
    GROUP BY project, prompt, label, environment, version, baseline_version, score
)
-- minimum sample: 31 scores on each side (Welch's degrees of freedom ≥ 30)
WHERE n_now >= 31 AND n_base >= 31`;

/** The rule SQL with `{{project}}` resolved: nothing (Grafana: every project) or a project filter. */
export function baselineRuleSql(rule: BaselineRule, projectFilter = ''): string {
  return rule.sql.replaceAll('{{project}}', projectFilter);
}

/** The three baseline rules, in the order of the Grafana rule group. */
export const BASELINE_RULES: readonly BaselineRule[] = [
  {
    uid: 'promptline-baseline-error-rate',
    metric: 'error_rate',
    title: 'Label move: error rate significantly above the previous version',
    valueColumn: 'error_rate_bound_ratio',
    threshold: 1,
    sql: ERROR_RATE_SQL,
  },
  {
    uid: 'promptline-baseline-latency-p95',
    metric: 'latency_p95',
    title: 'Label move: p95 latency significantly above the previous version',
    valueColumn: 'p95_bound_ratio',
    threshold: 1,
    sql: LATENCY_SQL,
  },
  {
    uid: 'promptline-baseline-score',
    metric: 'score',
    title: 'Label move: score significantly below the previous version',
    valueColumn: 'score_drop_t',
    threshold: 3.4,
    sql: SCORE_SQL,
  },
];
