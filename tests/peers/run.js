#!/usr/bin/env node
// Conformance of `azmaps-lro run --protocol azure` against Microsoft's LRO mock server,
// @microsoft.azure/autorest.testserver (pinned in scenarios.json). For every LRO start route of
// the server's swagger (swagger/lro.json, swagger/lro-parameterized-endpoints.json) this:
//   1. installs the server with npm into --prefix (skipped when that version is installed),
//   2. starts it on a free loopback port (bind-loopback.js forces 127.0.0.1; checked),
//   3. runs `azmaps-lro run --protocol azure --json --cookies ...` once per scenario,
//   4. compares the printed outcome with the table in scenarios.json, which is transcribed
//      from /work/shared/FAMILY.md section 5 (never from what our code does),
//   5. checks that the server's own coverage report counted each scenario,
//   6. stops the server by its PID and prints `PASS name` / `FAIL name: ...` lines and
//      `N passed, N failed`. Exit status 0 only when every scenario passes.
//
// Usage: node run.js --cli PATH/azmaps-lro --prefix DIR [--npm PATH] [--jobs N] [--only REGEX]
//                    [--timeout SECONDS] [--verbose]
// Needs no network beyond `npm install` from the npm registry.
"use strict";

const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const http = require("http");
const net = require("net");
const path = require("path");

const here = __dirname;

function parseArgs(argv) {
  const a = { jobs: 8, timeout: 45, verbose: false, only: null, cli: null, prefix: null, npm: "npm" };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === "--cli") a.cli = v();
    else if (k === "--prefix") a.prefix = v();
    else if (k === "--npm") a.npm = v();
    else if (k === "--jobs") a.jobs = Math.max(1, parseInt(v(), 10) || 1);
    else if (k === "--timeout") a.timeout = Math.max(1, parseInt(v(), 10) || 60);
    else if (k === "--only") a.only = new RegExp(v());
    else if (k === "--verbose") a.verbose = true;
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.cli || !a.prefix) throw new Error("usage: run.js --cli PATH --prefix DIR [--npm PATH] [--jobs N] [--only REGEX] [--timeout S] [--verbose]");
  a.cli = path.resolve(a.cli);
  a.prefix = path.resolve(a.prefix); // the server runs with the prefix as its working directory
  return a;
}

const log = (...m) => process.stderr.write(m.join(" ") + "\n");

// --- 1. the server package ----------------------------------------------------------------

function installedVersion(prefix, pkg) {
  try {
    return JSON.parse(fs.readFileSync(path.join(prefix, "node_modules", pkg, "package.json"), "utf8")).version;
  } catch (e) {
    return null;
  }
}

function ensureServer(npm, prefix, pkg, version) {
  fs.mkdirSync(prefix, { recursive: true });
  const have = installedVersion(prefix, pkg);
  if (have === version) {
    log(`peers: ${pkg}@${version} already installed in ${prefix}`);
    return;
  }
  log(`peers: installing ${pkg}@${version} into ${prefix} (found ${have || "nothing"})`);
  const r = spawnSync(npm, ["install", "--prefix", prefix, "--no-audit", "--no-fund", `${pkg}@${version}`], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.error) throw new Error(`npm: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`npm install exited with ${r.status}`);
  const now = installedVersion(prefix, pkg);
  if (now !== version) throw new Error(`npm install left ${pkg}@${now}, not ${version}`);
}

// --- 2. the server process ----------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(prefix, pkg) {
  const cliJs = path.join(prefix, "node_modules", pkg, "dist", "cli", "cli.js");
  const preload = path.join(here, "bind-loopback.js");
  for (let attempt = 1; attempt <= 3; ++attempt) {
    const port = await freePort();
    const logPath = path.join(prefix, "server.log");
    const out = fs.openSync(logPath, "w");
    const env = Object.assign({}, process.env);
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ? env.NODE_OPTIONS + " " : ""}--require ${preload}`;
    const child = spawn(process.execPath, [cliJs, "run", "--port", String(port)], {
      cwd: prefix, // the server writes its coverage directory under its working directory
      env,
      stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    let exited = null;
    child.on("exit", (code, signal) => (exited = { code, signal }));
    const deadline = Date.now() + 90000;
    while (Date.now() < deadline && exited === null) {
      try {
        const r = await get(port, "/report/azure");
        if (r.status === 200) return { child, port, logPath };
      } catch (e) {
        /* not up yet */
      }
      await sleep(250);
    }
    if (exited === null) {
      stopServer(child);
      throw new Error(`the server did not answer on port ${port} within 90 s (log: ${logPath})`);
    }
    log(`peers: the server exited (${JSON.stringify(exited)}) on port ${port}, attempt ${attempt}; log: ${logPath}`);
  }
  throw new Error("the server could not be started");
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch (e) {
        /* gone */
      }
    }, 5000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(child.pid, "SIGTERM");
    } catch (e) {
      clearTimeout(t);
      resolve();
    }
  });
}

// Every listening TCP socket on `port`: from `ss -ltn` when present, else /proc/net/tcp{,6}.
function listeners(port) {
  const r = spawnSync("ss", ["-ltnH", `sport = :${port}`], { encoding: "utf8" });
  if (!r.error && r.status === 0) {
    return {
      tool: "ss -ltn",
      addrs: r.stdout
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => l.trim().split(/\s+/)[3]),
    };
  }
  const addrs = [];
  for (const [file, v6] of [["/proc/net/tcp", false], ["/proc/net/tcp6", true]]) {
    let text = "";
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== "0A") continue; // 0A = LISTEN
      const [hex, p] = f[1].split(":");
      if (parseInt(p, 16) !== port) continue;
      if (!v6) {
        const b = hex.match(/../g).map((x) => parseInt(x, 16)).reverse();
        addrs.push(`${b.join(".")}:${port}`);
      } else {
        addrs.push(`[${hex}]:${port}`);
      }
    }
  }
  return { tool: "/proc/net/tcp", addrs };
}

function checkLoopbackOnly(port) {
  const { tool, addrs } = listeners(port);
  if (addrs.length === 0) throw new Error(`${tool}: nothing listens on port ${port}`);
  const bad = addrs.filter((a) => a !== `127.0.0.1:${port}`);
  if (bad.length) throw new Error(`${tool}: the server listens beyond 127.0.0.1: ${bad.join(", ")}`);
  log(`peers: ${tool}: the server listens on ${addrs.join(", ")} only`);
}

// --- 3. one scenario ----------------------------------------------------------------------

function commandFor(sc, base, table, opts) {
  const args = ["run", "--protocol", "azure", "--json", "--cookies", "--method", sc.method];
  if (sc.body) args.push("--data", JSON.stringify(table.bodies[sc.body]));
  if (sc.custom_header) args.push("--header", table.custom_header);
  if (sc.final_state_via) args.push("--final-state-via", sc.final_state_via);
  if (sc.resubmit) args.push("--resubmit");
  args.push("--interval", "0s", "--timeout", `${opts.timeout}s`);
  args.push(base + sc.path);
  return args;
}

function runOne(cli, args, killAfterMs) {
  return new Promise((resolve) => {
    const child = spawn(cli, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
    let killed = false;
    const t = setTimeout(() => {
      killed = true;
      try {
        process.kill(child.pid, "SIGKILL");
      } catch (e) {
        /* gone */
      }
    }, killAfterMs);
    child.on("error", (e) => {
      clearTimeout(t);
      resolve({ code: null, stdout, stderr: stderr + String(e), killed });
    });
    child.on("close", (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}

function canonical(v) {
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  if (v !== null && typeof v === "object")
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}";
  return JSON.stringify(v);
}

const short = (s, n = 160) => {
  const t = typeof s === "string" ? s : JSON.stringify(s);
  return t === undefined ? "undefined" : t.length > n ? t.slice(0, n) + "..." : t;
};

// The result body as printed: a JSON value (the body embedded), or a string holding the body's
// text. Returns { kind: "none" | "empty" | "json" | "text", value }.
function printedResult(out) {
  if (!("result" in out)) return { kind: "missing" };
  const r = out.result;
  if (r === null) return { kind: "none" };
  if (typeof r === "string") {
    if (r === "") return { kind: "empty" };
    try {
      return { kind: "json", value: JSON.parse(r), text: r };
    } catch (e) {
      return { kind: "text", value: r };
    }
  }
  return { kind: "json", value: r };
}

function resultMatches(exp, got) {
  // A JSON string result ("success") may be printed embedded ("success") or as its text ("\"success\"").
  if (got.kind === "json" && canonical(got.value) === canonical(exp)) return true;
  if (typeof exp === "string" && (got.kind === "text" || got.kind === "json") && (got.text === exp || got.value === exp)) return true;
  return false;
}

const sourceMissing = new Set();

function check(sc, run) {
  const e = sc.expect;
  if (run.killed) return `expected ${e.outcome}, got no answer: azmaps-lro killed after the driver's deadline`;
  // The outcome is one JSON object on stdout: the whole of it, else its last line.
  const lines = run.stdout.trim().split("\n").filter((l) => l.trim().startsWith("{"));
  let out;
  try {
    try {
      out = JSON.parse(run.stdout);
    } catch (err) {
      out = JSON.parse(lines[lines.length - 1]);
    }
    if (out === null || typeof out !== "object") throw new Error("not an object");
  } catch (err) {
    const why = run.stderr.trim().split("\n").slice(0, 2).join(" / ");
    return `expected ${e.outcome}, got no JSON outcome (exit ${run.code}): ${short(why, 240)}`;
  }
  const problems = [];
  const want = (what, expected, actual) => {
    if (canonical(expected) !== canonical(actual)) problems.push(`expected ${what} ${short(expected)}, got ${short(actual)}`);
  };
  if (out.outcome !== e.outcome) {
    let got = out.outcome;
    if (out.outcome === "failed") got += ` ${out.reason}${out.http_status != null ? " " + out.http_status : ""}`;
    if (out.detail) got += ` (${short(out.detail, 120)})`;
    let exp = e.outcome;
    if (e.reason) exp += ` ${e.reason}${e.http_status != null ? " " + e.http_status : ""}`;
    return `expected ${exp}, got ${got}`;
  }
  if (e.outcome === "failed") {
    want("reason", e.reason, out.reason);
    if ("http_status" in e) want("http_status", e.http_status, out.http_status);
    if ("error_code" in e) want("error.code", e.error_code, out.error ? out.error.code : null);
    if ("error_message" in e) want("error.message", e.error_message, out.error ? out.error.message : null);
  }
  if (e.outcome === "canceled") want("canceled_by", e.canceled_by, out.canceled_by);
  if (e.outcome === "succeeded") {
    // FAMILY.md names a result source; azmaps-lro prints it as `result_source` when it does
    // (main() says when it does not, and the result body is still compared).
    if ("result_source" in out) want("result_source", e.source, out.result_source);
    else sourceMissing.add(sc.name);
    const got = printedResult(out);
    if (got.kind === "missing") problems.push("the --json output has no result");
    else if (e.source === "none") {
      if (got.kind !== "none" && got.kind !== "empty") problems.push(`expected no result, got ${short(out.result)}`);
    } else if (e.result_empty) {
      // An empty body has no JSON form: "" or null (result_source, checked above, tells it from none).
      if (got.kind !== "empty" && got.kind !== "none") problems.push(`expected an empty result body, got ${short(out.result)}`);
    } else if (!resultMatches(e.result, got)) {
      problems.push(`expected result ${short(e.result)}, got ${short(out.result)}`);
    }
  }
  if ("requests" in e) want("requests", e.requests, out.requests);
  return problems.length ? problems.join("; ") : null;
}

async function pool(items, jobs, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

// --- main ---------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const table = JSON.parse(fs.readFileSync(path.join(here, "scenarios.json"), "utf8"));
  let scenarios = table.scenarios;
  if (opts.only) scenarios = scenarios.filter((s) => opts.only.test(s.name));
  if (!fs.existsSync(opts.cli)) throw new Error(`no azmaps-lro at ${opts.cli}`);

  ensureServer(opts.npm, opts.prefix, table.package, table.version);
  const server = await startServer(opts.prefix, table.package);
  const stop = () => {
    try {
      process.kill(server.child.pid, "SIGTERM");
    } catch (e) {
      /* gone */
    }
  };
  process.on("SIGINT", () => (stop(), process.exit(130)));
  process.on("SIGTERM", () => (stop(), process.exit(143)));

  let verdicts;
  let coverage = {};
  try {
    checkLoopbackOnly(server.port);
    const base = `http://127.0.0.1:${server.port}`;
    verdicts = await pool(scenarios, opts.jobs, async (sc) => {
      const args = commandFor(sc, base, table, opts);
      const run = await runOne(opts.cli, args, (opts.timeout + 60) * 1000);
      if (opts.verbose) log(`--- ${sc.name}: azmaps-lro ${args.join(" ")}\n${run.stderr}${run.stdout}`);
      return check(sc, run);
    });
    for (const cat of ["azure", "optional"]) {
      const r = await get(server.port, `/report/${cat}`);
      if (r.status !== 200) throw new Error(`GET /report/${cat}: HTTP ${r.status}`);
      coverage[cat] = JSON.parse(r.body);
    }
  } finally {
    await stopServer(server.child);
  }

  let passed = 0;
  let failed = 0;
  scenarios.forEach((sc, i) => {
    let why = verdicts[i];
    if (!why) {
      const missing = [];
      for (const k of sc.coverage || []) if (!(coverage.azure[k] > 0)) missing.push(k);
      for (const k of sc.optional_coverage || []) if (!(coverage.optional[k] > 0)) missing.push(k);
      if (missing.length) why = `the outcome matched, but the server's /report did not count ${missing.join(", ")}`;
    }
    if (why) {
      ++failed;
      console.log(`FAIL ${sc.name}: ${why}`);
    } else {
      ++passed;
      console.log(`PASS ${sc.name}`);
    }
  });
  if (sourceMissing.size)
    log(`peers: azmaps-lro printed no result_source for ${sourceMissing.size} succeeded scenario(s): their result source was not checked, only the result body`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL harness: ${err.message}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  },
);
