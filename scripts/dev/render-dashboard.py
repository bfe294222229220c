#!/usr/bin/env python3
"""Renders the dashboard picture of docs/operations.md (docs/img/dashboard-day.png).

The data is what the real tools pushed over a simulated day with one
Segment outage (the ignored e2e test `simulated_day_for_the_dashboard_picture`
in tests/dashboard.rs, which this script runs): one Pushgateway /metrics
snapshot per hourly run. Each snapshot is held until the next one, as
Prometheus would scrape it every minute; the series become a TSDB with
`promtool tsdb create-blocks-from openmetrics`; a local `prometheus` serves
it, and every panel's own PromQL from the dashboard JSON is evaluated with
query_range and plotted. Clock-valued series (run and map timestamps, which
the tools take from the real clock) are moved to the simulated day.

Needs: cargo, promtool and prometheus (Debian's `prometheus` package),
matplotlib (`pip install matplotlib`).

    scripts/dev/render-dashboard.py [--data DIR] [--out docs/img/dashboard-day.png]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(ROOT, "deploy/components/dashboard/segment-bridge-dashboard.json")
# Values the tools take from the real clock during the simulation.
CLOCK_VALUED = ("segment_bridge_run_timestamp_seconds", "segment_bridge_map_last_success_timestamp_seconds")
SCRAPE = 60  # seconds between the simulated scrapes


def simulate(data):
    env = dict(os.environ, DASHBOARD_DAY_OUT=data)
    subprocess.run(
        ["cargo", "test", "-p", "segment-bridge-e2e", "--test", "e2e", "--",
         "--ignored", "--exact", "dashboard::simulated_day_for_the_dashboard_picture"],
        cwd=ROOT, env=env, check=True)


def snapshots(data):
    """[(sim_time, real_time, [(name, labels, value)])] in time order."""
    out = []
    for f in sorted(os.listdir(data)):
        if not f.endswith(".prom"):
            continue
        sim = int(f[:-5])
        lines = open(os.path.join(data, f)).read().splitlines()
        real = int(lines[0].split("=", 1)[1])
        series = []
        for line in lines[1:]:
            if not line.startswith("segment_bridge_"):
                continue
            head, value = line.rsplit(" ", 1)
            name, _, labels = head.partition("{")
            labels = ",".join(kv for kv in labels.rstrip("}").split(",") if kv and not kv.endswith('=""'))
            v = float(value)
            if name in CLOCK_VALUED:
                v += sim - real
            series.append((name, labels, v))
        out.append((sim, real, series))
    return out


def openmetrics(snaps, end):
    """The snapshots as OpenMetrics text, one sample per scrape."""
    samples = {}  # name -> labels -> [(t, v)]
    for i, (sim, _, series) in enumerate(snaps):
        until = snaps[i + 1][0] if i + 1 < len(snaps) else end
        for name, labels, v in series:
            points = samples.setdefault(name, {}).setdefault(labels, [])
            points.extend((t, v) for t in range(sim, until, SCRAPE))
    lines = []
    for name, by_labels in samples.items():
        lines.append(f"# TYPE {name} gauge")
        for labels, points in by_labels.items():
            for t, v in points:
                lines.append(f"{name}{{{labels}}} {v!r} {t}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query_range(port, expr, start, end):
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": 300})
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query_range?{q}") as r:
        return json.load(r)["data"]["result"]


def legend(fmt, metric):
    if not fmt:
        return expr_label(metric)
    for k, v in metric.items():
        fmt = fmt.replace("{{" + k + "}}", v)
    return fmt


def expr_label(metric):
    return ",".join(f"{k}={v}" for k, v in metric.items() if k != "job") or "value"


def plot(panels, results, outage, start, end, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from datetime import datetime, timezone

    cols = 3
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(15, 3.3 * rows), squeeze=False)
    to_dt = lambda t: datetime.fromtimestamp(t, timezone.utc)
    for ax, panel, res in zip(axes.flat, panels, results):
        ax.axvspan(to_dt(outage["start"]), to_dt(outage["end"]), color="#d44a3a", alpha=0.12, lw=0)
        # Ages read best in hours; durations stay in seconds.
        seconds = panel.get("format") == "s" or panel.get("yaxes", [{}])[0].get("format") == "s"
        seconds = seconds and "age" in panel["title"].lower()
        for target, series in res:
            for s in series:
                ts = [to_dt(float(t)) for t, _ in s["values"]]
                vs = [float(v) / (3600 if seconds else 1) for _, v in s["values"]]
                ax.plot(ts, vs, lw=1.4, label=legend(target.get("legendFormat", ""), s["metric"]))
        unit = " (hours)" if seconds else (" (seconds)" if "duration" in panel["title"].lower() else "")
        ax.set_title(panel["title"] + unit, fontsize=10)
        ax.set_xlim(to_dt(start), to_dt(end))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=timezone.utc))
        ax.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 4), tz=timezone.utc))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    hhmm = lambda t: to_dt(t).strftime("%H:%M")
    fig.suptitle(f"Segment Bridge dashboard over a simulated day of hourly runs (UTC); shaded: Segment down, "
                 f"{hhmm(outage['start'])}–{hhmm(outage['end'])}", fontsize=12)
    fig.tight_layout()
    fig.savefig(out, dpi=80)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="snapshots of an earlier simulation (default: run it into a temporary folder)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/img/dashboard-day.png"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="dashboard-day.")
    data = args.data or os.path.join(work, "data")
    if not args.data:
        simulate(data)
    snaps = snapshots(data)
    outage = json.load(open(os.path.join(data, "outage.json")))
    start, end = snaps[0][0], snaps[-1][0] + 3600
    om = os.path.join(work, "day.om")
    open(om, "w").write(openmetrics(snaps, end))
    tsdb = os.path.join(work, "tsdb")
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", om, tsdb],
                   check=True, stdout=subprocess.DEVNULL)
    config = os.path.join(work, "prometheus.yml")
    open(config, "w").write("global: {}\n")
    port = free_port()
    prom = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
         "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready").read()
                break
            except OSError:
                time.sleep(0.1)
        dash = json.load(open(DASHBOARD))
        panels = [p for row in dash["rows"] for p in row["panels"]]
        results = [[(t, query_range(port, t["expr"], start, end)) for t in p["targets"]] for p in panels]
        empty = [p["title"] for p, res in zip(panels, results) if not any(s for _, s in res)]
        if empty:
            sys.exit(f"render-dashboard: no data for {empty}")
        plot(panels, results, outage, start, end, args.out)
        print(f"render-dashboard: {args.out}")
    finally:
        prom.terminate()
        prom.wait()


if __name__ == "__main__":
    main()
