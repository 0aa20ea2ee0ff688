#!/usr/bin/python3
"""The end-to-end benchmark's Python peer: N Azure Maps v2 operations driven to their end by
azure-core's pollers (Debian's python3-azure and python3-aiohttp):

  --mode threads   LROPoller + LROBasePolling over requests: a thread per poller, as
                   `begin_*()` of a synchronous SDK client gives them
  --mode asyncio   AsyncLROPoller + AsyncLROBasePolling over aiohttp, one event loop

Same contract as our lro_e2e_client (bench/e2e/README.md):
  client.py --mode threads|asyncio --url SUBMIT_URL --count N [--key KEY] [--max-connections N]
submits N operations (POST SUBMIT_URL&tag=i), runs all to the end and prints ONE JSON line
{"client","operations","succeeded","failed","other","requests","wall_s","cpu_user_s",
"cpu_sys_s","maxrss_kb"}; exit 0 if every operation ended.

What a Maps v2 operation needs from azure-core (the configuration an SDK's code would carry):
- Operation-Location and the status values (NotStarted, Running, Succeeded, Failed, Canceled)
  work as they are: OperationResourcePolling reads the header, compares `status` without case.
- The resource of a succeeded operation is announced by the `Resource-Location` header of the
  terminal status answer; OperationResourcePolling looks only for `resourceLocation` in the body
  (then, for a POST, a Location header of the submit), so the algorithm below returns the
  header from get_final_get_url(). azure-core then fetches it.
- azure-core reads `retry-after-ms` (and Retry-After) between polls, but polls the monitor once
  at once after the submit, without waiting for the submit's delay.
- The key goes in a `subscription-key` header (HeadersPolicy) on every request.
"""
import argparse
import asyncio
import json
import os
import resource
import sys
import threading
import time

from azure.core import AsyncPipelineClient, PipelineClient
from azure.core.pipeline import policies
from azure.core.rest import HttpRequest
from azure.core.polling import AsyncLROPoller, LROPoller
from azure.core.polling.async_base_polling import AsyncLROBasePolling
from azure.core.polling.base_polling import LROBasePolling, OperationResourcePolling


class MapsOperationPolling(OperationResourcePolling):
    """Operation-Location polling whose final GET follows Maps v2's Resource-Location header."""

    def get_final_get_url(self, pipeline_response):
        location = pipeline_response.http_response.headers.get("Resource-Location")
        if location:
            return location
        return super().get_final_get_url(pipeline_response)


class CountRequests(policies.SansIOHTTPPolicy):
    """Counts the requests that go out (retries included: it sits after the retry policy)."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def on_request(self, request):
        with self._lock:
            self.count += 1


def sdk_policies(key, counter):
    # The policies azure-core's own PipelineClient puts in a default pipeline, as an SDK's
    # client configuration instantiates them, plus the key and the request counter.
    return [
        policies.RequestIdPolicy(),
        policies.HeadersPolicy({"subscription-key": key} if key else {}),
        policies.UserAgentPolicy(sdk_moniker="azmaps-lro-e2e-bench"),
        policies.ProxyPolicy(),
        policies.ContentDecodePolicy(),
        policies.AsyncRedirectPolicy() if asyncio_mode else policies.RedirectPolicy(),
        policies.AsyncRetryPolicy() if asyncio_mode else policies.RetryPolicy(),
        policies.CustomHookPolicy(),
        counter,
        policies.NetworkTraceLoggingPolicy(),
        policies.DistributedTracingPolicy(),
        policies.HttpLoggingPolicy(),
    ]


def deserialize(pipeline_response):
    text = pipeline_response.http_response.text()
    return json.loads(text) if text else None


def outcome(status, result):
    status = str(status).lower()
    # Succeeded as scripted: the poller's result is the resource (the metadata body, with udid).
    if status == "succeeded" and isinstance(result, dict) and "udid" in result:
        return "succeeded"
    if status in ("failed", "canceled"):
        return "failed"
    return "other"


def run_threads(args, counter):
    import requests
    from azure.core.pipeline.transport import RequestsTransport

    session = requests.Session()
    # requests keeps 10 connections per host by default and discards (with a warning) every
    # further one after use; a pool as large as the other clients' bound, waited for when full.
    pool = args.max_connections or 64
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool, pool_block=True)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    client = PipelineClient(args.url, policies=sdk_policies(args.key, counter),
                            transport=RequestsTransport(session=session, session_owner=False))
    pollers = []
    for i in range(args.count):
        # What a synchronous SDK's begin_*() does: send the submit, return a started poller.
        try:
            initial = client.send_request(HttpRequest("POST", f"{args.url}&tag={i}", json={}),
                                          _return_pipeline_response=True)
            polling = LROBasePolling(lro_algorithms=[MapsOperationPolling()])
            pollers.append(LROPoller(client, initial, deserialize, polling))
        except Exception as e:  # noqa: BLE001 - any failure is an operation that did not end
            if os.environ.get("E2E_VERBOSE"):
                print(repr(e), file=sys.stderr)
            pollers.append(None)
    outcomes = []
    for p in pollers:
        if p is None:
            outcomes.append("other")
            continue
        try:
            result = p.result()
            outcomes.append(outcome(p.status(), result))
        except Exception as e:  # noqa: BLE001
            if os.environ.get("E2E_VERBOSE"):
                print(repr(e), file=sys.stderr)
            outcomes.append(outcome(p.status(), None) if str(p.status()).lower() in ("failed", "canceled") else "other")
    return outcomes


async def run_asyncio(args, counter):
    import aiohttp
    from azure.core.pipeline.transport import AioHttpTransport

    # aiohttp's default connector keeps at most 100 connections; --max-connections sets it.
    connector = aiohttp.TCPConnector(limit=args.max_connections) if args.max_connections else aiohttp.TCPConnector()
    session = aiohttp.ClientSession(connector=connector)
    client = AsyncPipelineClient(args.url, policies=sdk_policies(args.key, counter),
                                 transport=AioHttpTransport(session=session, session_owner=False))

    async def one(i):
        poller = None
        try:
            initial = await client.send_request(HttpRequest("POST", f"{args.url}&tag={i}", json={}),
                                                _return_pipeline_response=True)
            polling = AsyncLROBasePolling(lro_algorithms=[MapsOperationPolling()])
            poller = AsyncLROPoller(client, initial, deserialize, polling)
            result = await poller.result()
            return outcome(poller.status(), result)
        except Exception as e:  # noqa: BLE001
            if os.environ.get("E2E_VERBOSE"):
                print(repr(e), file=sys.stderr)
            if poller is not None and str(poller.status()).lower() in ("failed", "canceled"):
                return "failed"
            return "other"

    try:
        return await asyncio.gather(*(one(i) for i in range(args.count)))
    finally:
        await session.close()


def main():
    global asyncio_mode
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("threads", "asyncio"), default="threads")
    ap.add_argument("--url", required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--key", default="")
    ap.add_argument("--max-connections", type=int, default=0)
    args = ap.parse_args()
    if args.count < 1:
        ap.error("--count must be at least 1")
    asyncio_mode = args.mode == "asyncio"
    counter = CountRequests()
    t0 = time.monotonic()
    if asyncio_mode:
        outcomes = asyncio.run(run_asyncio(args, counter))
    else:
        outcomes = run_threads(args, counter)
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    line = {
        "client": "py-azure-core-asyncio" if asyncio_mode else "py-azure-core-threads",
        "operations": args.count,
        "succeeded": outcomes.count("succeeded"),
        "failed": outcomes.count("failed"),
        "other": outcomes.count("other"),
        "requests": counter.count,
        "wall_s": round(wall, 3),
        "cpu_user_s": ru.ru_utime,
        "cpu_sys_s": ru.ru_stime,
        "maxrss_kb": ru.ru_maxrss,
    }
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    return 0 if line["other"] == 0 else 1


asyncio_mode = False

if __name__ == "__main__":
    sys.exit(main())
