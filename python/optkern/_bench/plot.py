"""``--plot FILE.png``: speed-up against size, one panel per suite (matplotlib).

matplotlib is imported only here, and only when a plot is asked for; it is the
optional extra ``pip install "optkern[plot]"``.
"""

from __future__ import annotations

import math

MAX_SERIES = 4  # a panel with more series shows the first and the geometric mean of the rest


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


MISSING = (
    "python -m optkern bench: error: --plot needs matplotlib, which is not installed "
    "(pip install matplotlib, or optkern[plot])"
)


def _geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def panel_series(
    rows: list[dict],
) -> list[tuple[str, list[tuple[int, float | None, float | None]]]]:
    """(label, [(elements, speed-up vs NumPy, speed-up vs torch), ...] sorted by size) per
    series of a suite's summary rows. Past `MAX_SERIES` series, the first stays and the
    others become one series: the geometric mean of their speed-ups at each size."""
    by_series: dict[str, list[dict]] = {}
    for r in rows:
        by_series.setdefault(r["series"], []).append(r)

    def points(rs):
        # one point per size: an odd neighbour (2^k+3) would draw a vertical zig-zag
        # next to its power of two, so the case listed first at a size stays
        kept: list[dict] = []
        for r in rs:
            if all(abs(r["elements"] - k["elements"]) > 0.01 * k["elements"] for k in kept):
                kept.append(r)
        return sorted((r["elements"], r["speedup_numpy"], r["speedup_torch"]) for r in kept)

    names = list(by_series)
    if len(names) <= MAX_SERIES:
        return [(name, points(by_series[name])) for name in names]
    first, rest = names[0], names[1:]
    by_size: dict[int, list[dict]] = {}
    for name in rest:
        for r in by_series[name]:
            by_size.setdefault(r["elements"], []).append(r)
    merged: list[tuple] = []
    for n, rs in sorted(by_size.items()):
        if merged and abs(n - merged[-1][0]) <= 0.01 * merged[-1][0]:
            continue
        np_ = [r["speedup_numpy"] for r in rs if r["speedup_numpy"]]
        th = [r["speedup_torch"] for r in rs if r["speedup_torch"]]
        merged.append((n, _geomean(np_) if np_ else None, _geomean(th) if th else None))
    return [(first, points(by_series[first])), (f"the other {len(rest)} (geometric mean)", merged)]


def plot(results: dict[str, dict], path: str) -> None:
    """Draw every suite's speed-ups over the NumPy baseline (solid, circles) and torch
    (dashed, squares) against the case size, one panel per suite, into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    n = len(results)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(5.6 * cols, 7.0), 4.6 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (name, res) in zip(axes.flat, results.items()):
        for i, (label, pts) in enumerate(panel_series(res["rows"])):
            color = colors[i % len(colors)]
            for j, (what, style, marker) in enumerate((("NumPy", "-", "o"), ("torch", "--", "s"))):
                xy = [(p[0], p[1 + j]) for p in pts if p[1 + j]]
                if xy:
                    ax.plot(
                        [x for x, _ in xy],
                        [y for _, y in xy],
                        style,
                        marker=marker,
                        markersize=4,
                        color=color,
                        label=f"{label} vs {what}",
                    )
        ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        # plain numbers (0.95, 10), not 9.5 x 10^-1; the minor ticks labelled only
        # when the panel spans less than a decade (else they crowd)
        low, high = ax.get_ylim()
        plain = FuncFormatter(lambda y, _: f"{y:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain if high < 10 * low else NullFormatter())
        ax.set_xlabel("size (elements, log scale)")
        ax.set_ylabel("speed-up (baseline time / optkern time)")
        ax.set_title(f"{name}: {res['title']}", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(
        "optkern's speed-up over the NumPy baseline (solid, o) and torch (dashed, □)", fontsize=11
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
