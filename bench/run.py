"""Run every benchmark and print one table of ratios (each measured against a baseline taken in
the same run, on the same machine). Usage: .venv/bin/python bench/run.py [name ...]"""

from __future__ import annotations

import datetime as dt
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_messages  # noqa: E402
import bench_pages  # noqa: E402
import bench_workflow  # noqa: E402
from harness import CONNECTIONS, DURATION, WORKERS  # noqa: E402

BENCHMARKS = {
    "pages": bench_pages.run,
    "workflow": bench_workflow.run,
    "messages": bench_messages.run,
}


def table(results) -> str:
    lines = [
        "| benchmark | baseline | baseline rate | measured rate | ratio | target | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.baseline_label} | {r.baseline:,.0f} {r.unit} | "
            f"{r.measured:,.0f} {r.unit} | {r.ratio:.2f} | {r.target} | {r.notes} |"
        )
    return "\n".join(lines)


def main(names: list[str]) -> int:
    chosen = names or list(BENCHMARKS)
    results = []
    for name in chosen:
        print(f"running {name} …", flush=True)
        outcome = BENCHMARKS[name]()
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"{stamp} · {platform.node()} · wrk -t2 -c{CONNECTIONS} -d{DURATION}s · "
        f"gunicorn -w {WORKERS}"
    )
    report = f"{header}\n\n{table(results)}\n"
    print("\n" + report)
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "latest.md").write_text(report)
    with (results_dir / "history.md").open("a") as history:
        history.write(f"\n## {stamp}\n\n{table(results)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
