// The end-to-end benchmark's JavaScript peer: N Azure Maps v2 operations driven to their end by
// the official poller, @azure/core-lro 3.x (createHttpPoller), over one of two transports:
//   --transport fetch     Node's own fetch (undici, bundled with Node)
//   --transport pipeline  @azure/core-rest-pipeline (the Azure SDK's HTTP pipeline: retry,
//                         redirect, user agent, request id, tracing and logging policies)
// Same contract as our lro_e2e_client (bench/e2e/README.md):
//   node client.mjs --transport fetch|pipeline --url SUBMIT_URL --count N [--key KEY]
//                   [--max-connections N] [--interval-ms MS]
// submits N operations (POST SUBMIT_URL&tag=i), runs all to the end concurrently and prints
// ONE JSON line {"client","operations","succeeded","failed","other","requests","wall_s",
// "cpu_user_s","cpu_sys_s","maxrss_kb"}; exit 0 if every operation ended.
//
// What a Maps v2 operation needs from core-lro (the adapter an SDK's generated code would be):
// - The resource of a succeeded operation is announced by the `Resource-Location` header of
//   the terminal status answer; core-lro reads only `resourceLocation` in the body, so the
//   adapter copies the header there (flatResponse.resourceLocation). core-lro then fetches it.
// - core-lro 3.x reads `Retry-After` (seconds or a date) but not `retry-after-ms`, which the
//   benchmark's emulator sends (100 ms): --interval-ms (default 100) sets the poller's own
//   interval to the same 100 ms, else it would wait its default 2 s between polls.
// - core-lro polls the monitor at once after the submit (it does not wait for the submit's
//   retry-after): the emulator counts that first poll as early.
import { createHttpPoller } from "@azure/core-lro";
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from "@azure/core-rest-pipeline";
import http from "node:http";
import { performance } from "node:perf_hooks";

function parseArgs(argv) {
  const a = { transport: "fetch", url: "", count: 1, key: "", maxConnections: 0, intervalMs: 100 };
  for (let i = 2; i < argv.length; ++i) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === "--transport") a.transport = v();
    else if (k === "--url") a.url = v();
    else if (k === "--count") a.count = Number.parseInt(v(), 10);
    else if (k === "--key") a.key = v();
    else if (k === "--max-connections") a.maxConnections = Number.parseInt(v(), 10);
    else if (k === "--interval-ms") a.intervalMs = Number.parseInt(v(), 10);
    else throw new Error(`unknown option ${k}`);
  }
  if (!a.url || !(a.count >= 1) || !["fetch", "pipeline"].includes(a.transport))
    throw new Error("usage: client.mjs --transport fetch|pipeline --url SUBMIT_URL --count N [--key KEY] [--max-connections N]");
  return a;
}

const args = parseArgs(process.argv);
let requests = 0;
const keyHeaders = args.key ? { "subscription-key": args.key } : {};

// One HTTP exchange -> core-lro's OperationResponse. Throws on an HTTP error, as an SDK's
// generated operation does (core-lro then records the error in the poller's state).
function toOperationResponse(method, url, statusCode, headers, text) {
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (statusCode >= 400) {
    const e = new Error(`HTTP ${statusCode} from ${method} ${url}`);
    e.name = "RestError";
    e.statusCode = statusCode;
    throw e;
  }
  const flat = body && typeof body === "object" ? { ...body } : {};
  if (headers["resource-location"]) flat.resourceLocation = headers["resource-location"];
  return { flatResponse: flat, rawResponse: { statusCode, headers, body, request: { method, url } } };
}

let send;
if (args.transport === "fetch") {
  send = async (method, url, body) => {
    ++requests;
    const r = await fetch(url, {
      method,
      headers: body === undefined ? keyHeaders : { ...keyHeaders, "content-type": "application/json" },
      body,
    });
    const text = await r.text();
    const headers = {};
    r.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return toOperationResponse(method, url, r.status, headers, text);
  };
} else {
  const pipeline = createPipelineFromOptions({});
  const client = createDefaultHttpClient();
  // The default agent keeps connections alive without a bound; --max-connections bounds it.
  const agent = args.maxConnections > 0 ? new http.Agent({ keepAlive: true, maxSockets: args.maxConnections }) : undefined;
  send = async (method, url, body) => {
    ++requests;
    const headers = createHttpHeaders(keyHeaders);
    if (body !== undefined) headers.set("content-type", "application/json");
    // allowInsecureConnection: the emulator speaks plain HTTP on loopback (the service: HTTPS).
    const req = createPipelineRequest({ url, method, headers, body, allowInsecureConnection: true, ...(agent ? { agent } : {}) });
    const r = await pipeline.sendRequest(client, req);
    return toOperationResponse(method, url, r.status, r.headers.toJSON(), r.bodyAsText ?? "");
  };
}

async function one(i) {
  const url = `${args.url}&tag=${i}`;
  const poller = createHttpPoller(
    {
      sendInitialRequest: () => send("POST", url, "{}"),
      sendPollRequest: (path) => send("GET", path, undefined),
    },
    { intervalInMs: args.intervalMs, resolveOnUnsuccessful: true },
  );
  const result = await poller.pollUntilDone();
  const st = poller.operationState?.status;
  // Succeeded as scripted: the poller's result is the resource (the metadata body, with udid).
  if (st === "succeeded" && result && typeof result === "object" && "udid" in result) return "succeeded";
  if (st === "failed" || st === "canceled") return "failed";
  return "other";
}

const t0 = performance.now();
const outcomes = await Promise.all(
  Array.from({ length: args.count }, (_, i) =>
    one(i).catch((e) => {
      if (process.env.E2E_VERBOSE) console.error(String(e), e.cause ? String(e.cause.code ?? e.cause) : "");
      return "other";
    }),
  ),
);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage();
const count = (k) => outcomes.filter((o) => o === k).length;
const line = {
  client: args.transport === "fetch" ? "js-core-lro-fetch" : "js-core-lro-pipeline",
  operations: args.count,
  succeeded: count("succeeded"),
  failed: count("failed"),
  other: count("other"),
  requests,
  wall_s: Number(wall.toFixed(3)),
  cpu_user_s: cpu.user / 1e6,
  cpu_sys_s: cpu.system / 1e6,
  maxrss_kb: process.resourceUsage().maxRSS,
};
process.stdout.write(JSON.stringify(line) + "\n");
process.exitCode = line.other === 0 ? 0 : 1;
