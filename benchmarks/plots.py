"""The suite's PNG plots, drawn with matplotlib when it is installed
(Debian: python3-matplotlib); the JSON and the report never need it."""
import os


def write_all(results, folder):
    """Writes the plots; returns their paths, or None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    os.makedirs(folder, exist_ok=True)
    written = []
    for demo in results["demos"]:
        runs = [r for r in demo["tiers"] if "error" not in r]
        if not runs:
            continue
        written.append(_distribution(plt, demo, runs, folder))
        written.append(_over_time(plt, demo, runs, folder))
    if results["demos"]:
        written.append(_comparison(plt, results, folder))
    return written


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)
    return path


def _distribution(plt, demo, runs, folder):
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in runs:
        ax.hist(r["frame_times_ms"], bins=40, alpha=0.6, label=r["tier"])
    ax.set(title=f"{demo['name']}: frame time distribution", xlabel="frame time (ms)", ylabel="frames")
    ax.legend()
    return _save(plt, fig, os.path.join(folder, f"{demo['name']}_distribution.png"))


def _over_time(plt, demo, runs, folder):
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in runs:
        ax.plot(range(len(r["frame_times_ms"])), r["frame_times_ms"], label=r["tier"], linewidth=0.8)
    ax.set(title=f"{demo['name']}: latency over time", xlabel="frame", ylabel="frame time (ms)")
    ax.legend()
    return _save(plt, fig, os.path.join(folder, f"{demo['name']}_latency.png"))


def _comparison(plt, results, folder):
    """Mean ms per frame of each demo: each tier, native Python, native C."""
    names, series = [], {}
    for demo in results["demos"]:
        names.append(demo["name"])
        for r in demo["tiers"]:
            if "error" not in r:
                series.setdefault(f"wasm {r['tier']}", {})[demo["name"]] = r["frame_time"]["mean_ms"]
        if demo["python"]["available"]:
            series.setdefault("native Python", {})[demo["name"]] = demo["python"]["frame_time"]["mean_ms"]
        if demo["native_c"]["available"]:
            series.setdefault("native C", {})[demo["name"]] = demo["native_c"]["frame_ms"]
    fig, ax = plt.subplots(figsize=(max(7, 1.6 * len(names)), 4.5))
    width = 0.8 / max(len(series), 1)
    for k, (label, values) in enumerate(sorted(series.items())):
        xs = [i + k * width for i, n in enumerate(names) if n in values]
        ax.bar(xs, [values[n] for n in names if n in values], width, label=label)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=20, ha="right")
    ax.set_yscale("log")
    ax.set(title="ms per frame: tiers, native Python and native C", ylabel="ms per frame (log)")
    ax.legend()
    return _save(plt, fig, os.path.join(folder, "comparison.png"))
