"""Reference values for test/statsReference.test.ts, computed with SciPy / NumPy (pinned there).

Reads one JSON object of cases on stdin, writes one JSON object of results on stdout. Where SciPy
has the statistic it is used directly; where it does not (Newcombe's interval, Hedges' g, the
Hodges-Lehmann interval, the exact r x c test, the pooling rule) the published formula or the
definition is written out here, independently of the TypeScript code under test.
"""

import json
import math
import sys
import warnings
from fractions import Fraction

import numpy as np
from scipy import special, stats


def num(x):
    """JSON-safe float: NaN and infinities become None."""
    x = float(x)
    return x if math.isfinite(x) else None


def quiet(f):
    """f() or None when SciPy warns (e.g. its root finder gave up)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return f()
        except (RuntimeWarning, ValueError, ArithmeticError):
            return None


def wilson(k, n, level):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return ci.low, ci.high


def newcombe(a, b, level):
    """Newcombe (1998) method 10 for b's rate - a's rate, written from the paper's formula."""
    l1, u1 = wilson(a[0], a[1], level)
    l2, u2 = wilson(b[0], b[1], level)
    p1, p2 = a[0] / a[1], b[0] / b[1]
    d = p2 - p1
    return d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def u_null_counts(m, n):
    """Number of arrangements with U = u (u = 0..mn), by c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u)."""
    prev = [[1] for _ in range(n + 1)]  # m = 0
    for i in range(1, m + 1):
        cur = [[1]]
        for j in range(1, n + 1):
            out = [0] * (i * j + 1)
            for u, c in enumerate(prev[j]):
                out[u + j] += c
            for u, c in enumerate(cur[j - 1]):
                out[u] += c
            cur.append(out)
        prev = cur
    return prev[n]


def hodges_lehmann(x, y, level, exact):
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    m, n = len(x), len(y)
    mn = m * n
    d = np.sort(np.subtract.outer(y, x).ravel())
    estimate = float(np.median(d))
    tail = (1 - level) / 2
    if exact:
        counts = u_null_counts(m, n)
        total = sum(counts)
        acc = 0
        k = None
        for u, c in enumerate(counts):
            acc += c
            if Fraction(acc, total) >= Fraction(tail):
                k = u
                break
    else:
        pooled = np.concatenate([x, y])
        _, t = np.unique(pooled, return_counts=True)
        ties = float(np.sum(t.astype(float) ** 3 - t))
        N = m + n
        var = mn / 12 * ((N + 1) - ties / (N * (N - 1)))
        k = math.ceil(mn / 2 - 0.5 - stats.norm.ppf(1 - tail) * math.sqrt(var)) if var > 0 else 1
    if k < 1:
        return {"estimate": estimate, "ci": None}
    out = {"estimate": estimate, "ci": [float(d[k - 1]), float(d[mn - k])]}
    if exact and k + 1 <= mn - k and d[k - 1] < d[k] and k >= 2 and d[k - 2] < d[k - 1]:
        # Test inversion with SciPy's exact Mann-Whitney: a shift just inside the lower bound is
        # not rejected at 1 - level, one just outside is.
        alpha = 1 - level
        inside = (d[k - 1] + d[k]) / 2
        outside = (d[k - 2] + d[k - 1]) / 2
        p_in = stats.mannwhitneyu(x, y - inside, alternative="two-sided", method="exact").pvalue
        p_out = stats.mannwhitneyu(x, y - outside, alternative="two-sided", method="exact").pvalue
        out["inversion"] = bool(p_in >= alpha and p_out < alpha)
    return out


def cochran(cols):
    ra = sum(a for a, _ in cols)
    rb = sum(b for _, b in cols)
    total = ra + rb
    expected = [r * (a + b) / total for a, b in cols for r in (ra, rb)]
    return min(expected) >= 1 and sum(e < 5 for e in expected) <= 0.2 * len(expected)


def exact_rxc(cols):
    """Fisher-Freeman-Halton p: every 2 x k table with these margins, probabilities in integers."""
    totals = [a + b for a, b in cols]
    ra = sum(a for a, _ in cols)
    k = len(cols)
    cap_after = [sum(totals[j + 1 :]) for j in range(k)]
    observed = 1
    for (a, _), c in zip(cols, totals):
        observed *= math.comb(c, a)
    hit = 0

    def visit(j, remaining, weight):
        nonlocal hit
        if j == k - 1:
            w = weight * math.comb(totals[j], remaining)
            if w * 10**7 <= observed * (10**7 + 1):
                hit += w
            return
        for x in range(max(0, remaining - cap_after[j]), min(totals[j], remaining) + 1):
            visit(j + 1, remaining - x, weight * math.comb(totals[j], x))

    visit(0, ra, 1)
    return min(1.0, hit / math.comb(sum(totals), ra))


def count_tables(cols):
    totals = [a + b for a, b in cols]
    ra = sum(a for a, _ in cols)
    ways = [1] + [0] * ra
    for c in totals:
        prefix = [0]
        for w in ways:
            prefix.append(prefix[-1] + w)
        # ways'[s] = sum of ways[s - x] for x = 0 .. min(c, s)
        ways = [prefix[s + 1] - prefix[max(0, s - c)] for s in range(ra + 1)]
    return ways[ra]


EXACT_MAX_TABLES = 100_000


def categorical_reference(labels, a, b):
    """The rule written out: Pearson if Cochran holds; else exact if at most 100000 tables; else pool
    the j rarest columns (j = 2, 3, ...) until Cochran holds, or exact on the last 2 x 2."""
    cols = [(lab, a[i], b[i]) for i, lab in enumerate(labels) if a[i] + b[i] > 0]
    table = [(c[1], c[2]) for c in cols]
    if cochran(table):
        res = stats.chi2_contingency(np.array(table).T, correction=False)
        return {"method": "chi-square", "merged": [], "p": num(res.pvalue)}
    if count_tables(table) <= EXACT_MAX_TABLES:
        return {"method": "fisher-freeman-halton", "merged": [], "p": exact_rxc(table)}
    cols.sort(key=lambda c: (c[1] + c[2], c[0]))
    for j in range(2, len(cols)):
        other = (sum(c[1] for c in cols[:j]), sum(c[2] for c in cols[:j]))
        table = [other] + [(c[1], c[2]) for c in cols[j:]]
        merged = [c[0] for c in cols[:j]]
        if cochran(table):
            res = stats.chi2_contingency(np.array(table).T, correction=False)
            return {"method": "chi-square-merged", "merged": merged, "p": num(res.pvalue)}
        if len(table) == 2:
            return {"method": "fisher-freeman-halton", "merged": merged, "p": exact_rxc(table)}
    return None


def main():
    cases = json.load(sys.stdin)
    out = {}

    out["normalQuantile"] = [num(stats.norm.ppf(p)) for p in cases["normalQuantile"]]
    out["studentTQuantile"] = [num(stats.t.ppf(p, df)) for p, df in cases["studentTQuantile"]]
    out["studentTSurvival"] = [num(stats.t.sf(t, df)) for t, df in cases["studentTSurvival"]]
    out["betaQuantile"] = [
        {
            "ppf": quiet(lambda: num(stats.beta.ppf(p, a, b))),
            # CDF and upper tail at x and one representable number either side: the quantile lies
            # between the neighbours when x is the correctly rounded answer.
            "cdf": [num(stats.beta.cdf(v, a, b)) for v in (np.nextafter(x, 0.0), x, np.nextafter(x, 1.0))],
            "sf": [num(stats.beta.sf(v, a, b)) for v in (np.nextafter(x, 0.0), x, np.nextafter(x, 1.0))],
        }
        for p, a, b, x in cases["betaQuantile"]
    ]
    out["regularizedBeta"] = [num(special.betainc(a, b, x)) for x, a, b in cases["regularizedBeta"]]
    out["regularizedGamma"] = [
        [num(special.gammainc(a, x)), num(special.gammaincc(a, x))] for a, x in cases["regularizedGamma"]
    ]
    out["chiSquareSurvival"] = [num(stats.chi2.sf(x, df)) for x, df in cases["chiSquareSurvival"]]
    out["binomial"] = [
        {
            "cdf": num(stats.binom.cdf(k, n, q)),
            "sf": num(stats.binom.sf(k, n, q)),
            "ppf": int(stats.binom.ppf(p, n, q)),
            "isf": int(stats.binom.isf(p, n, q)),
        }
        for k, n, q, p in cases["binomial"]
    ]
    out["wilson"] = [list(wilson(k, n, level)) for k, n, level in cases["wilson"]]
    out["newcombe"] = [list(newcombe(a, b, level)) for a, b, level in cases["newcombe"]]

    mean_ci = []
    for xs, level in cases["meanInterval"]:
        ci = stats.ttest_1samp(xs, 0).confidence_interval(confidence_level=level)
        mean_ci.append([num(ci.low), num(ci.high)])
    out["meanInterval"] = mean_ci

    welch = []
    for a, b, level in cases["welch"]:
        r = stats.ttest_ind(b, a, equal_var=False)
        ci = r.confidence_interval(confidence_level=level)
        welch.append({"t": num(r.statistic), "df": num(r.df), "p": num(r.pvalue), "ci": [num(ci.low), num(ci.high)]})
    out["welch"] = welch

    out["mannWhitney"] = [
        {
            "u": num(r.statistic),
            "p": num(r.pvalue),
            "delta": float(np.mean(np.sign(np.subtract.outer(np.asarray(y, float), np.asarray(x, float))))),
        }
        for x, y, method in cases["mannWhitney"]
        for r in [stats.mannwhitneyu(x, y, alternative="two-sided", method=method, use_continuity=True)]
    ]
    out["fisher"] = [
        num(stats.fisher_exact([[a, n1 - a], [b, n2 - b]]).pvalue) for a, n1, b, n2 in cases["fisher"]
    ]
    z_test = []
    for a, n1, b, n2 in cases["twoProportionZ"]:
        r = stats.chi2_contingency([[a, n1 - a], [b, n2 - b]], correction=False)
        z_test.append({"chi2": num(r.statistic), "p": num(r.pvalue)})
    out["twoProportionZ"] = z_test

    chi = []
    for labels, a, b in cases["chiSquare"]:
        r = stats.chi2_contingency(np.array([a, b]), correction=False)
        chi.append({"statistic": num(r.statistic), "p": num(r.pvalue), "df": int(r.dof)})
    out["chiSquare"] = chi
    out["exactRxC"] = [exact_rxc(list(zip(a, b))) for labels, a, b in cases["exactRxC"]]
    out["pooled"] = [categorical_reference(labels, a, b) for labels, a, b in cases["pooled"]]

    qci = []
    for xs, q, level in cases["quantileInterval"]:
        ci = stats.quantile_test(xs, q=0, p=q).confidence_interval(confidence_level=level)
        qci.append([num(ci.low), num(ci.high)])
    out["quantileInterval"] = qci
    out["sampleQuantiles"] = [
        [float(v) for v in np.percentile(np.asarray(xs, float), [10, 25, 50, 75, 90])]
        for xs in cases["sampleQuantiles"]
    ]
    out["hodgesLehmann"] = [hodges_lehmann(x, y, level, exact) for x, y, level, exact in cases["hodgesLehmann"]]

    hedges = []
    for a, b in cases["hedges"]:
        na, nb = len(a), len(b)
        va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
        df = na + nb - 2
        d = (np.mean(b) - np.mean(a)) / math.sqrt(((na - 1) * va + (nb - 1) * vb) / df)
        j = math.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / math.sqrt(df / 2)
        hedges.append([float(d), float(j * d)])
    out["hedges"] = hedges

    json.dump(out, sys.stdout)


main()
