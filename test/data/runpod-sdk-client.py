"""RunPod's own Python client (the `runpod` package from PyPI) driving a worker's local API.

Run by test/worker-runpod-sdk.test.mjs with RUNPOD_ENDPOINT_BASE_URL pointing at
`ct2-whisper worker --rp_serve_api`. Usage: runpod-sdk-client.py ENDPOINT_ID SHORT_AUDIO
STREAM_AUDIO LONG_AUDIO. Prints one JSON object: what each SDK call returned.
"""

import asyncio
import base64
import json
import sys
import time

import runpod
from runpod.http_client import ClientSession


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode("ascii")


def until_status(job, wanted, timeout=300):
    """Polls job.status() until it is one of `wanted`; returns the statuses seen."""
    seen = []
    end = time.time() + timeout
    while time.time() < end:
        status = job.status()
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in wanted:
            break
        time.sleep(0.2)
    return seen


async def asyncio_client(endpoint_id, audio):
    """The SDK's asyncio runner: run, status, output."""
    async with ClientSession() as session:
        endpoint = runpod.AsyncioEndpoint(endpoint_id, session)
        job = await endpoint.run({"audio_base64": audio})
        first = await job.status()
        output = await job.output(timeout=600)
        return {"first_status": first, "output": output, "status": await job.status()}


def main():
    endpoint_id, short_path, stream_path, long_path = sys.argv[1:5]
    # The SDK refuses to run without a key; the local API takes any.
    runpod.api_key = "local-test-key"
    endpoint = runpod.Endpoint(endpoint_id)
    short, streamed, long = b64(short_path), b64(stream_path), b64(long_path)
    report = {"version": runpod.__version__, "base": runpod.endpoint_url_base}

    report["health_idle"] = endpoint.health()
    report["run_sync"] = endpoint.run_sync({"audio_base64": short, "word_timestamps": True}, timeout=600)

    job = endpoint.run({"input": {"audio_base64": short}})
    report["run"] = {"id": job.job_id, "first_status": job.status()}
    report["run"]["output"] = job.output(timeout=600)
    report["run"]["status"] = job.status()

    job = endpoint.run({"audio_base64": streamed})
    report["stream"] = {"chunks": list(job.stream())}
    report["stream"]["output"] = job.output(timeout=600)

    # Cancel: a long job once it runs, and a job queued behind it.
    running = endpoint.run({"audio_base64": long})
    queued = endpoint.run({"audio_base64": short})
    report["cancel"] = {"running_seen": until_status(running, ["IN_PROGRESS", "COMPLETED", "FAILED"])}
    report["cancel"]["queued_before"] = queued.status()
    report["cancel"]["health_busy"] = endpoint.health()
    report["cancel"]["queued"] = queued.cancel()
    report["cancel"]["running"] = running.cancel()
    report["cancel"]["statuses"] = [running.status(), queued.status()]
    report["cancel"]["outputs"] = [running.output(), queued.output()]
    started = time.time()
    report["cancel"]["next"] = endpoint.run_sync({"audio_base64": short}, timeout=600)
    report["cancel"]["next_s"] = time.time() - started

    # purge-queue: a job running and two queued; the queued ones are removed.
    busy = endpoint.run({"audio_base64": long})
    waiting = [endpoint.run({"audio_base64": short}) for _ in range(2)]
    until_status(busy, ["IN_PROGRESS"])
    report["purge"] = {"result": endpoint.purge_queue(), "statuses": [j.status() for j in waiting]}
    report["purge"]["busy"] = busy.cancel()

    report["asyncio"] = asyncio.run(asyncio_client(endpoint_id, short))
    report["health_end"] = endpoint.health()
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
