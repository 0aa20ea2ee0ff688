#!/usr/bin/python3
"""End-to-end benchmark: N Azure Maps v2 operations against the emulator in a separate process,
driven by our libcurl drivers and by the Azure SDK pollers (docs/performance.md, "End to end").

For each client and N, a fresh `azmaps-lro-emulator --stats` is started; the client runs as a
child of this script, which takes its CPU (user + sys) and peak RSS from wait4(); the polls,
early polls and outcomes come from the emulator's records (GET /_emulator/stats). Each
measurement is the median of --reps runs; one table with ratios to ours is printed (and
written as Markdown with --markdown FILE, as JSON with --json FILE).

Clients (each follows the contract of bench/e2e/README.md):
  ours-multi             lro_e2e_client --driver multi   (our libcurl multi driver)
  ours-easy              lro_e2e_client --driver easy    (N = 1 only)
  js-core-lro-fetch      node bench/e2e/node/client.mjs --transport fetch
  js-core-lro-pipeline   node bench/e2e/node/client.mjs --transport pipeline
  py-azure-core-threads  python3 bench/e2e/python/client.py --mode threads
  py-azure-core-asyncio  python3 bench/e2e/python/client.py --mode asyncio
A peer that cannot run here (no node or npm, npm install failed, no azure-core) is reported
as skipped with the reason, not as failed.

Usage: bench/e2e/run.py --emulator PATH [--ours PATH] [--quick] [--counts 1,200,1000,2000]
                        [--reps 3] [--ours-counts 10000] [--clients a,b] [--markdown F] [--json F]
(bash bench/e2e/run.sh builds the two programs and calls this.)
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "e2e-bench-key"
PY = "/usr/bin/python3"  # Debian's: python3-azure and python3-aiohttp are installed for it
ALL_CLIENTS = ["ours-multi", "ours-easy", "js-core-lro-fetch", "js-core-lro-pipeline",
               "py-azure-core-threads", "py-azure-core-asyncio"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- the emulator -----------------------------------------------------------------------

class Emulator:
    def __init__(self, path, args):
        self.proc = subprocess.Popen(
            [path, "--port", "0", "--retry-after-ms", str(args.retry_after_ms), "--running-polls",
             str(args.running_polls), "--key", KEY, "--stats", "--max-threads", str(args.emulator_threads),
             "--keep-alive-timeout", str(args.keep_alive_timeout)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        m = re.match(r"listening on (http://\S+)", line)
        if not m:
            self.stop()
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.base = m.group(1)

    def submit_url(self):
        return f"{self.base}/mapData?api-version=2.0&scenario=succeed"

    def stats(self):
        req = urllib.request.Request(f"{self.base}/_emulator/stats", headers={"subscription-key": KEY})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---- one run ----------------------------------------------------------------------------

def run_client(cmd, timeout_s):
    """Runs cmd as a child; returns (exit status, stdout, stderr tail, wall s, rusage, timed out)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        env = dict(os.environ, E2E_VERBOSE="1")  # the peers then say why an operation did not end
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace")[-2000:], wall, ru, timed_out.is_set())


def measure(client, n, args, cmd_for):
    emu = Emulator(args.emulator, args)
    try:
        cmd = cmd_for(client, emu.submit_url(), n)
        code, out, err, wall, ru, timed_out = run_client(cmd, args.timeout)
        stats = emu.stats()
    finally:
        emu.stop()
    line = None
    for text in out.splitlines():
        text = text.strip()
        if text.startswith("{"):
            try:
                line = json.loads(text)
            except ValueError:
                pass
    r = {
        "client": client, "n": n, "exit": code, "timed_out": timed_out, "wall_s": wall,
        "cpu_s": ru.ru_utime + ru.ru_stime, "cpu_user_s": ru.ru_utime, "cpu_sys_s": ru.ru_stime,
        "maxrss_kb": ru.ru_maxrss, "emulator": stats, "client_line": line,
    }
    r["ok"] = (not timed_out and code == 0 and stats["ended_as_scripted"] == n and stats["operations"] == n
               and line is not None and line.get("succeeded") == n)
    if not r["ok"]:
        r["stderr_tail"] = err
    return r


# ---- which clients can run --------------------------------------------------------------

def prepare_node(args):
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node:
        return None, "no node (Debian package nodejs)"
    v = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if int(v.lstrip("v").split(".")[0]) < 20:
        return None, f"node {v} is older than 20"
    nm = os.path.join(HERE, "node")
    if not os.path.isdir(os.path.join(nm, "node_modules", "@azure", "core-lro")) or args.npm_install:
        if not npm:
            return None, "no npm (Debian package npm)"
        log("e2e: npm install (bench/e2e/node)")
        p = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--engine-strict"], cwd=nm,
                           capture_output=True, text=True)
        if p.returncode != 0:
            return None, "npm install failed: " + (p.stderr.strip().splitlines() or ["?"])[-1][:160]
    return node, None


def prepare_python():
    if not os.path.exists(PY):
        return "no /usr/bin/python3 (Debian package python3)"
    p = subprocess.run([PY, "-c", "import azure.core, aiohttp, requests"], capture_output=True, text=True)
    if p.returncode != 0:
        return "azure-core or aiohttp missing (Debian packages python3-azure python3-aiohttp): " + \
            (p.stderr.strip().splitlines() or ["?"])[-1][:120]
    return None


def versions(args, node):
    v = {}
    def cmd(c):
        try:
            return subprocess.run(c, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    def dpkg(pkg):
        return cmd(["dpkg-query", "-W", "-f=${Version}", pkg]) or "not installed"
    v["machine"] = f"{platform.node()}: {platform.system()} {platform.release()} {platform.machine()}"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    except OSError:
        model = "?"
    v["cpu"] = f"{model}, {os.cpu_count()} logical CPUs"
    v["libcurl (ours)"] = dpkg("libcurl4") + " (Debian libcurl4)"
    if args.ours:
        v["ours"] = "lro_e2e_client " + args.ours_describe
    if node:
        v["node"] = cmd([node, "--version"])
        base = os.path.join(HERE, "node", "node_modules", "@azure")
        pk = []
        if os.path.isdir(base):
            for d in sorted(os.listdir(base)):
                try:
                    with open(os.path.join(base, d, "package.json")) as f:
                        pk.append(f"@azure/{d} {json.load(f)['version']}")
                except (OSError, ValueError, KeyError):
                    pass
        v["npm packages"] = ", ".join(pk)
    v["python3"] = cmd([PY, "-c", "import sys; print(sys.version.split()[0])"]) if os.path.exists(PY) else "none"
    v["azure-core"] = cmd([PY, "-c", "import azure.core; print(azure.core.__version__)"]) + \
        f" (Debian python3-azure {dpkg('python3-azure')})"
    v["aiohttp"] = dpkg("python3-aiohttp")
    v["requests / urllib3"] = dpkg("python3-requests") + " / " + dpkg("python3-urllib3")
    return v


# ---- the table --------------------------------------------------------------------------

def med(xs):
    return statistics.median(xs) if xs else None


def summarize(runs):
    """Median of each measurement over the runs of one (client, N)."""
    s = {
        "runs": len(runs),
        "polls": med([r["emulator"]["status_polls"] for r in runs]),
        "early": med([r["emulator"]["early_polls"] for r in runs]),
        "requests": med([r["emulator"]["requests"] for r in runs]),
        "busy": max(r["emulator"]["refusals"]["busy"] for r in runs),
        "cpu_s": med([r["cpu_s"] for r in runs]),
        "maxrss_kb": med([r["maxrss_kb"] for r in runs]),
        "wall_s": med([r["wall_s"] for r in runs]),
        "as_scripted": min(r["emulator"]["ended_as_scripted"] for r in runs),
        "all_ok": all(r["ok"] for r in runs),
        "timed_out": any(r["timed_out"] for r in runs),
    }
    for k in ("polls", "early", "requests"):  # a median of two counts may end in .5
        if float(s[k]).is_integer():
            s[k] = int(s[k])
    s["us_per_poll"] = s["cpu_s"] * 1e6 / s["polls"] if s["polls"] else None
    return s


def fmt(x, digits=1):
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


def ratio(peer, ours):
    if peer is None or ours is None or ours <= 0:
        return "—"
    return f"{peer / ours:,.1f}x"


def table(results, skipped, order, counts):
    base = {}  # client -> summary at N = 1 (for RSS per operation)
    for (c, n), s in results.items():
        if n == 1:
            base[c] = s
    for (c, n), s in results.items():
        b = base.get(c)
        s["kib_per_op"] = ((s["maxrss_kb"] - b["maxrss_kb"]) / (n - 1)) if (b and n > 1) else None
        # Marginal CPU per poll: what the polls of N operations cost beyond one operation's run
        # (process startup and teardown cancel out).
        s["marginal_us_per_poll"] = ((s["cpu_s"] - b["cpu_s"]) * 1e6 / (s["polls"] - b["polls"])
                                     if (b and n > 1 and s["polls"] > b["polls"]) else None)
    rows = ["| client | N | polls | early polls | CPU s | CPU µs/poll | x ours | marginal µs/poll | peak RSS MiB | KiB/op | x ours | wall s | ended as scripted |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for n in counts:
        ours = results.get(("ours-multi", n))
        for c in order:
            s = results.get((c, n))
            if s is None:
                continue
            cpu_ratio = "1.0x" if c == "ours-multi" else ratio(s["us_per_poll"], ours and ours["us_per_poll"])
            mem_ratio = "1.0x" if c == "ours-multi" and s["kib_per_op"] is not None else \
                ratio(s["kib_per_op"], ours and ours.get("kib_per_op"))
            if s["timed_out"]:
                ended = "no: timed out"
            else:
                ended = f"{'yes' if s['all_ok'] else 'NO'} ({fmt(s['as_scripted'])}/{fmt(n)})"
                if s["busy"]:
                    ended += f", {s['busy']} busy 503"
            rows.append(f"| {c} | {fmt(n)} | {fmt(s['polls'])} | {fmt(s['early'])} | {fmt(s['cpu_s'], 2)} | "
                        f"{fmt(s['us_per_poll'])} | {cpu_ratio} | {fmt(s['marginal_us_per_poll'])} | {fmt(s['maxrss_kb'] / 1024)} | "
                        f"{fmt(s['kib_per_op'], 2)} | {mem_ratio} | {fmt(s['wall_s'], 2)} | {ended} |")
    for c, why in skipped.items():
        rows.append(f"| {c} | — | — | — | — | — | — | — | — | — | — | — | skipped: {why} |")
    return "\n".join(rows)


# ---- main -------------------------------------------------------------------------------

def save_json(path, started, vers, skipped, runs, results):
    with open(path + ".tmp", "w") as f:
        json.dump({"started": started.isoformat(), "versions": vers, "skipped": skipped,
                   "runs": [r for v in runs.values() for r in v],
                   "summary": [{"client": c, "n": n, **s} for (c, n), s in (results or {}).items()]}, f, indent=1)
    os.replace(path + ".tmp", path)


def from_json(args):
    """Re-renders the table from the runs of one or more --json files (say so when they differ)."""
    runs, skipped, vers, started = {}, {}, {}, []
    for path in args.from_json.split(","):
        with open(path) as f:
            d = json.load(f)
        started.append(d["started"][:16].replace("T", " ") + " UTC")
        vers.update(d["versions"])
        skipped.update(d["skipped"])
        for r in d["runs"]:
            runs.setdefault((r["client"], r["n"]), []).append(r)
    for c in list(skipped):
        if any(k[0] == c for k in runs):
            del skipped[c]
    results = {k: summarize(v) for k, v in runs.items()}
    order = [c for c in ALL_CLIENTS if any(k[0] == c for k in runs)]
    print(table(results, skipped, order, sorted(set(n for _, n in runs))))
    print("\nRuns started: " + ", ".join(started) + "\n\nVersions:\n" +
          "\n".join(f"- {k}: {v}" for k, v in vers.items()))
    return 0


def main():
    ap = argparse.ArgumentParser(description="End-to-end LRO benchmark against the emulator.")
    ap.add_argument("--emulator", required=True, help="path of azmaps-lro-emulator")
    ap.add_argument("--ours", default="", help="path of lro_e2e_client (empty: ours not built)")
    ap.add_argument("--ours-missing-reason", default="lro_e2e_client not built")
    ap.add_argument("--ours-describe", default="", help="a word on how ours was built (for the versions)")
    ap.add_argument("--quick", action="store_true", help="N in 1,200 and one run each")
    ap.add_argument("--counts", default=None, help="N for every client (default 1,200,1000,2000)")
    ap.add_argument("--ours-counts", default=None, help="extra N for ours-multi only (default 10000; '' for none)")
    ap.add_argument("--reps", type=int, default=None, help="runs per (client, N); the median is kept (default 3)")
    ap.add_argument("--clients", default=",".join(ALL_CLIENTS))
    ap.add_argument("--max-connections", type=int, default=0,
                    help="passed to every client (0: each client's own default)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per run")
    ap.add_argument("--retry-after-ms", type=int, default=100)
    ap.add_argument("--running-polls", type=int, default=10)
    ap.add_argument("--emulator-threads", type=int, default=16384,
                    help="emulator --max-threads: room for every client's connections")
    ap.add_argument("--keep-alive-timeout", type=int, default=60,
                    help="emulator --keep-alive-timeout (s): a client's idle pooled connections stay usable")
    ap.add_argument("--npm-install", action="store_true", help="run npm install even if installed")
    ap.add_argument("--markdown", default="", help="also write the table and notes here")
    ap.add_argument("--json", default="", help="also write every run here")
    ap.add_argument("--from-json", default="",
                    help="no run: print the table of the runs stored by --json in these files (comma-separated)")
    args = ap.parse_args()
    quick = {"counts": "1,200", "ours_counts": "", "reps": 1}
    full = {"counts": "1,200,1000,2000", "ours_counts": "10000", "reps": 3}
    for k, v in (quick if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    counts = [int(x) for x in args.counts.split(",") if x.strip()]
    ours_counts = [int(x) for x in args.ours_counts.split(",") if x.strip()]
    if 1 not in counts:
        counts.insert(0, 1)  # RSS per operation is measured against N = 1
    wanted = [c for c in args.clients.split(",") if c]
    for c in wanted:
        if c not in ALL_CLIENTS:
            ap.error(f"unknown client {c}")

    if args.from_json:
        return from_json(args)
    skipped = {}
    node = None
    if any(c.startswith("js-") for c in wanted):
        node, why = prepare_node(args)
        if why:
            for c in wanted:
                if c.startswith("js-"):
                    skipped[c] = why
    if any(c.startswith("py-") for c in wanted):
        why = prepare_python()
        if why:
            for c in wanted:
                if c.startswith("py-"):
                    skipped[c] = why
    if not args.ours or not os.access(args.ours, os.X_OK):
        for c in wanted:
            if c.startswith("ours-"):
                skipped[c] = args.ours_missing_reason
    clients = [c for c in wanted if c not in skipped]

    def cmd_for(client, url, n):
        common = ["--url", url, "--count", str(n), "--key", KEY]
        if args.max_connections:
            common += ["--max-connections", str(args.max_connections)]
        if client == "ours-multi":
            return [args.ours, "--driver", "multi"] + common
        if client == "ours-easy":
            return [args.ours, "--driver", "easy"] + common
        if client.startswith("js-"):
            return [node, os.path.join(HERE, "node", "client.mjs"), "--transport",
                    client.rsplit("-", 1)[1]] + common
        return [PY, os.path.join(HERE, "python", "client.py"), "--mode", client.rsplit("-", 1)[1]] + common

    plan = []  # (client, n): ours-easy at N = 1 only; the extra counts for ours-multi only
    for n in sorted(set(counts + (ours_counts if "ours-multi" in clients else []))):
        for c in clients:
            if c == "ours-easy" and n != 1:
                continue
            if n not in counts and c != "ours-multi":
                continue
            plan.append((c, n))
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()
    runs = {k: [] for k in plan}
    versions_now = versions(args, node)
    given_up = set()
    if not plan:
        log("e2e: nothing to run")
    # Repetitions outermost: a change of load during the run touches every client alike.
    for rep in range(args.reps):
        for c, n in plan:
            if (c, n) in given_up:
                continue
            r = measure(c, n, args, cmd_for)
            runs[(c, n)].append(r)
            log(f"e2e: rep {rep + 1}/{args.reps} {c} N={n}: cpu {r['cpu_s']:.2f} s, "
                f"polls {r['emulator']['status_polls']}, early {r['emulator']['early_polls']}, "
                f"rss {r['maxrss_kb'] / 1024:.1f} MiB, wall {r['wall_s']:.2f} s, "
                f"{'ok' if r['ok'] else 'NOT OK: exit %s%s' % (r['exit'], ' (timed out)' if r['timed_out'] else '')}")
            if not r["ok"] and r.get("stderr_tail"):
                log("  stderr: " + r["stderr_tail"].strip().replace("\n", "\n  stderr: ")[-600:])
            if args.json:  # kept after every run: an interrupted benchmark still has its runs
                save_json(args.json, started, versions_now, skipped, runs, None)
            if r["timed_out"] and n in ours_counts and n not in counts:
                given_up.add((c, n))  # the optional large N: one timeout is enough
    load1 = os.getloadavg()
    results = {k: summarize(v) for k, v in runs.items() if v}
    all_counts = sorted(set(n for _, n in plan))
    order = [c for c in ALL_CLIENTS if c in clients]
    tab = table(results, skipped, order, all_counts)
    vers = versions(args, node)
    notes = [
        f"Run {started:%Y-%m-%d %H:%M} UTC, {args.reps} run(s) per row (medians), load average "
        f"{load0[0]:.1f} at the start and {load1[0]:.1f} at the end (the machine is shared).",
        f"Scenario: `azmaps-lro-emulator --retry-after-ms {args.retry_after_ms} --running-polls "
        f"{args.running_polls} --stats` in its own process, v2 submits (`/mapData?api-version=2.0&scenario=succeed`), "
        f"{args.running_polls + 2} status polls and one resource fetch per operation; a fresh emulator per run.",
        "CPU: the client process's user + sys from wait4(); CPU µs/poll = that CPU / status polls "
        "(startup, submits and resource fetches included); marginal µs/poll = (CPU at N - CPU at N=1) / (polls at N - polls at N=1). Peak RSS: ru_maxrss. KiB/op = (peak RSS at N "
        "- peak RSS at N=1) / (N - 1). x ours: the peer's figure over ours-multi's at the same N.",
        "Polls, early polls (arrived more than 50 ms before the last Retry-After allowed) and "
        "'ended as scripted' (Succeeded and its resource fetched, per operation) come from the emulator's records.",
    ]
    for c, why in skipped.items():
        notes.append(f"{c}: skipped: {why}.")
    text = tab + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n\nVersions:\n" + \
        "\n".join(f"- {k}: {v}" for k, v in vers.items()) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.json:
        save_json(args.json, started, vers, skipped, runs, results)
    return 0 if all(s["all_ok"] for s in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
