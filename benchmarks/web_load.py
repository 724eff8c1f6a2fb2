"""Load on the web studio, loopback only and bounded: N concurrent renders while M readers poll pages and the
API for T seconds. Prints throughput, latency percentiles and errors, and the same readers' figures on an idle
server measured first in the same run (the baseline for the ratio).

    python benchmarks/web_load.py [--renders 4] [--readers 20] [--seconds 30]

The server is the real studio (`run_story.py serve`) on 127.0.0.1 with a temporary data folder; every request
goes to that address; each reader stops after T seconds or 100,000 requests, whichever comes first.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_REQUESTS_PER_READER = 100_000
STORY = ("---\nanimator: builtin\nmax_side: 256\n---\nNarrator: The night was cold. The wind howled.\n"
         "Eileen: I hate portals, really.\nNarrator: They waited, and waited, until five.\n")


class Session:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.token = json.loads(self.get("/api/csrf")[1])["token"]

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def post(self, path: str, body: dict) -> dict:
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-CSRF-Token": self.token})
        with self.opener.open(req, timeout=30) as r:
            return json.loads(r.read())


def readers(base: str, n: int, seconds: float, paths: list[str]) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def run(i: int) -> None:
        s = Session(base)
        end = time.monotonic() + seconds
        mine, bad = [], 0
        for k in range(MAX_REQUESTS_PER_READER):
            if time.monotonic() > end:
                break
            t = time.perf_counter()
            status, _ = s.get(paths[(i + k) % len(paths)])
            mine.append(time.perf_counter() - t)
            bad += status >= 500
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"requests": len(latencies), "rps": len(latencies) / wall, "p50_ms": 1000 * q[49],
            "p95_ms": 1000 * q[94], "p99_ms": 1000 * q[98], "errors_5xx": errors[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--renders", type=int, default=4)
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        server = subprocess.Popen([sys.executable, str(REPO / "run_story.py"), "serve", "--port", str(port),
                                   "--data", f"{tmp}/web", "--cache", f"{tmp}/cache"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp,
                                  env={**os.environ, "PYTHONPATH": str(REPO)})
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    admin = Session(base)
                    break
                except OSError:
                    time.sleep(0.1)
            sid = admin.post("/api/stories", {"text": STORY})["id"]
            paths = ["/", f"/stories/{sid}", "/api/stories", f"/api/stories/{sid}", "/api/portraits",
                     "/api/renders", "/static/studio.js"]
            idle = readers(base, args.readers, min(args.seconds, 10.0), paths)
            jobs = []
            for i in range(args.renders):
                text = STORY.replace("until five", f"until {i + 6} o'clock")     # distinct work per render
                s = admin.post("/api/stories", {"text": text})["id"]
                jobs.append(admin.post(f"/api/stories/{s}/renders", {})["id"])
            paths += [f"/api/renders/{j}" for j in jobs]
            t0 = time.perf_counter()
            busy = readers(base, args.readers, args.seconds, paths)
            states = [json.loads(admin.get(f"/api/renders/{j}")[1])["status"] for j in jobs]
            done = states.count("done")
            print(f"server on {base}; {args.renders} renders queued, {args.readers} readers, {args.seconds:.0f} s")
            for name, r in (("idle server", idle), ("during renders", busy)):
                print(f"{name:15s} {r['requests']:7d} requests {r['rps']:8.1f}/s  p50 {r['p50_ms']:6.1f} ms  "
                      f"p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  5xx {r['errors_5xx']}")
            print(f"ratio busy/idle: throughput {busy['rps'] / max(idle['rps'], 1e-9):.2f}x, "
                  f"p99 {busy['p99_ms'] / max(idle['p99_ms'], 1e-9):.2f}x; renders done within the window: "
                  f"{done}/{len(jobs)} ({time.perf_counter() - t0:.0f} s; {', '.join(states)})")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
