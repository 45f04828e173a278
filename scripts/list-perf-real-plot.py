#!/usr/bin/env python3
"""Plot one engine's figures from `scripts/list-perf-real` against size.

    list-perf-real-plot.py ENGINE.csv OUT.png

Three panels against the number of backups: the median time of each
request (ours solid, the engine's own dotted), the ratios the targets of
issue 21 are about (each with its target as a dashed line of the same
colour, and the engine's own floor dotted), and the server's peak RSS
against the 32 MiB goal. Needs matplotlib (scripts/plot-env).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TIMES = [
    ("verbose", "Optimize's verbose download", "k", ":"),
    ("engine_brief", "engine verbose=false", "tab:blue", ":"),
    ("engine_one", "engine, one id", "tab:red", ":"),
    ("list", "our list", "k", "-"),
    ("list_brief", "our verbose=false", "tab:blue", "-"),
    ("pattern", "our pattern (~1 %)", "tab:green", "-"),
    ("one", "our GET one", "tab:red", "-"),
]
# (numerator, denominator, label, colour, target or None for a floor)
RATIOS = [
    ("list_brief", "verbose", "our verbose=false ÷ Optimize's", "tab:blue", 0.5),
    ("engine_brief", "verbose", "engine verbose=false ÷ Optimize's (floor)", "tab:blue", None),
    ("list", "verbose", "our list ÷ Optimize's", "k", 1.0),
    ("engine_query", "verbose", "engine, our query ÷ Optimize's (floor)", "k", None),
    ("one", "engine_one", "our GET one ÷ engine's", "tab:red", 1.1),
    ("pattern", "list", "our pattern ÷ our list", "tab:green", 0.2),
]


def main(source, out):
    median = {}
    rss = {}
    title = ""
    with open(source, newline="") as f:
        for row in csv.DictReader(f):
            size = int(row["backups"])
            median[(size, row["request"])] = float(row["median_ms"])
            rss[size] = int(row["peak_rss_kib"]) / 1024
            title = row["engine"]
    sizes = sorted(rss)
    fig, (time_ax, ratio_ax, rss_ax) = plt.subplots(1, 3, figsize=(15, 5.4))
    for key, label, colour, style in TIMES:
        time_ax.plot(sizes, [median[(s, key)] for s in sizes], "o" + style if style == "-" else "x" + style,
                     color=colour, label=label)
    time_ax.set(title="median time", ylabel="ms", yscale="log")
    for num, den, label, colour, target in RATIOS:
        style = "o-" if target is not None else "x:"
        ratio_ax.plot(sizes, [median[(s, num)] / median[(s, den)] for s in sizes], style,
                      color=colour, label=label)
        if target is not None:
            ratio_ax.axhline(target, color=colour, linestyle="--", linewidth=0.8)
    ratio_ax.set(title="ratios (dashed: targets of issue 21)", ylabel="ratio", ylim=(0, None))
    rss_ax.plot(sizes, [rss[s] for s in sizes], "o-", color="tab:purple", label="server peak RSS")
    rss_ax.axhline(32, color="grey", linestyle="--", linewidth=1, label="goal 32 MiB")
    rss_ax.set(title="server peak RSS (VmHWM)", ylabel="MiB", ylim=(0, 40))
    for ax in (time_ax, ratio_ax, rss_ax):
        ax.set_xscale("log")
        ax.set_xlabel("backups (2 snapshots each)")
        ax.grid(True, which="both", alpha=0.3)
    # Below the panels, so no legend hides a line.
    for ax in (time_ax, ratio_ax, rss_ax):
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.suptitle(f"{title}: GET /actuator/backups against repository size")
    fig.tight_layout()
    fig.savefig(out, dpi=80)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
