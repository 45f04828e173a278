#!/usr/bin/env python3
"""Plot how the list route's cost grows with the repository.

    list-perf-plot.py FIGURES.csv OUT.png

FIGURES.csv is what `list-perf --csv` appends (one row per flavor and size).
Three panels against the number of backups (log scales): time of the list
through the server beside the verbose download, bytes downloaded beside the
verbose answer, and the server's peak RSS. Needs matplotlib (the list-perf
scripts install it into a venv under target/).
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(source, out):
    rows = defaultdict(list)
    with open(source, newline="") as f:
        for row in csv.DictReader(f):
            rows[row["label"]].append(row)
    fig, (time_ax, bytes_ax, rss_ax) = plt.subplots(1, 3, figsize=(17, 5.5))
    for label, points in sorted(rows.items()):
        points.sort(key=lambda r: int(r["backups"]))
        x = [int(r["backups"]) for r in points]
        line, = time_ax.plot(x, [float(r["list_s"]) * 1e3 for r in points], "o-", label=label)
        color = line.get_color()
        time_ax.plot(x, [float(r["verbose_s"]) * 1e3 for r in points], "x:", color=color)
        bytes_ax.plot(x, [int(r["list_bytes"]) / 1e6 for r in points], "o-", color=color, label=label)
        bytes_ax.plot(x, [int(r["verbose_bytes"]) / 1e6 for r in points], "x:", color=color)
        rss_ax.plot(x, [int(r["peak_kib"]) / 1024 for r in points], "o-", color=color, label=label)
    time_ax.set(title="time: list (solid) vs verbose download (dotted)", ylabel="ms")
    bytes_ax.set(title="bytes: downloaded (solid) vs verbose answer (dotted)", ylabel="MB")
    rss_ax.set(title="server peak RSS", ylabel="MiB")
    for ax in (time_ax, bytes_ax, rss_ax):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("backups (2 snapshots each)")
        ax.grid(True, which="both", alpha=0.3)
    rss_ax.axhline(32, color="grey", linestyle="--", linewidth=1)
    rss_ax.axhline(64, color="grey", linestyle="--", linewidth=1)
    rss_ax.legend(fontsize=8)
    fig.suptitle("GET /actuator/backups: cost against repository size")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
