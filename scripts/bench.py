#!/usr/bin/env python3
"""Benchmarks that print figures (not timed tests): warm per-question latency over the gold set,
cold `assistant ask` wall time, and ingest throughput with and without the embedding cache.

Usage: .venv/bin/python scripts/bench.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import BUNDLED_SOURCES, Settings  # noqa: E402
from assistant.conversation import Conversation  # noqa: E402
from assistant.core import Assistant  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        settings = Settings.load(env={}, store=store)
        t0 = time.perf_counter()
        reports = Assistant(settings).ingest([BUNDLED_SOURCES])
        cold_ingest = time.perf_counter() - t0
        entries = sum(r.projects + r.indicators for r in reports)
        t0 = time.perf_counter()
        Assistant(settings).ingest([BUNDLED_SOURCES])
        warm_ingest = time.perf_counter() - t0
        print(f"ingest (sample, {entries} entries): {cold_ingest:.2f} s without cache ({entries / cold_ingest:.0f} entries/s), "
              f"{warm_ingest:.2f} s re-ingest with cache")

        questions = []
        for name in ("questions.jsonl", "heldout.jsonl"):
            questions += [json.loads(l) for l in (ROOT / "tests" / "gold" / name).read_text(encoding="utf-8").splitlines() if l.strip()]
        assistant = Assistant(settings)
        assistant.ask("warm-up: 一共有多少个项目？")
        timings = []
        for _ in range(args.rounds):
            for q in questions:
                convo = Conversation() if "turns" in q else None
                for turn in q.get("turns", [])[:-1]:
                    assistant.ask(turn, conversation=convo)
                t0 = time.perf_counter()
                assistant.ask(q["question"], conversation=convo)
                timings.append((time.perf_counter() - t0) * 1000)
        print(f"warm ask over {len(questions)} questions x {args.rounds} rounds: p50 {statistics.median(timings):.1f} ms, "
              f"p95 {percentile(timings, 95):.1f} ms, max {max(timings):.1f} ms")

        exe = ROOT / ".venv" / "bin" / "assistant"
        cmd = [str(exe) if exe.exists() else "assistant", "ask", "--json", "--store", str(store), "Which projects target 365 service days?"]
        walls = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            walls.append(time.perf_counter() - t0)
        print(f"cold `assistant ask` (new process each time, {args.rounds} runs): median {statistics.median(walls):.2f} s, max {max(walls):.2f} s")


if __name__ == "__main__":
    main()
