"""The interpreter exits cleanly after provider calls, also while calls are in flight.

Each scenario is a small script run in child processes, 40 times, two at a time (concurrent runs
made the crash at exit frequent), every other run with `logging` at DEBUG so that the log bridge
forwards events from the runtime's threads. A run passes when it exits with its expected status
(never a signal) and its stderr carries no fatal error, panic or unraisable exception.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Tuple

import pytest

RUNS = 40

PRELUDE = """
import asyncio, logging, os, signal, sys, threading
import entra_sync

if os.environ.get("ENTRA_LIFECYCLE_DEBUG_LOGS"):
    logging.basicConfig(level=logging.DEBUG)

ESTATE = {"tenants": 3, "usersPerTenant": 20}


def providers(sandbox):
    graph = entra_sync.GraphProvider(sandbox.graph_settings(), on_tokens_rotated=lambda tokens: None)
    cipp = entra_sync.CippProvider(sandbox.cipp_settings())
    return graph, cipp


def listings(graph, cipp, tenant_ids):
    return [graph.list_users(t) for t in tenant_ids] + [cipp.list_users(t) for t in tenant_ids]


async def tenant_ids(graph):
    return [t["entraTenantId"] for t in (await graph.list_managed_tenants())["tenants"]]
"""

# (script body, expected exit status)
SCENARIOS = {
    # The README's asyncio example over both providers: everything awaited, `with` left.
    "readme_shaped_script": (
        """
        async def main():
            with entra_sync.Sandbox.start(ESTATE) as sandbox:
                graph, cipp = providers(sandbox)
                ids = await tenant_ids(graph)
                done = await asyncio.gather(*listings(graph, cipp, ids))
                assert all(listing["complete"] for listing in done)
                print(len(done), "listings")

        asyncio.run(main())
        """,
        0,
    ),
    # Ctrl-C while the listings wait on a slow upstream.
    "keyboard_interrupt_mid_listing": (
        """
        async def main():
            with entra_sync.Sandbox.start(ESTATE) as sandbox:
                graph, cipp = providers(sandbox)
                ids = await tenant_ids(graph)
                sandbox.update_faults({"latency": 1.0})
                asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
                await asyncio.gather(*listings(graph, cipp, ids))

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            sys.exit(130)
        """,
        130,
    ),
    # `main` returns with listings still running: `asyncio.run` cancels them, the sandbox is
    # never shut down.
    "exit_with_listings_in_flight": (
        """
        async def main():
            sandbox = entra_sync.Sandbox.start(ESTATE)
            graph, cipp = providers(sandbox)
            ids = await tenant_ids(graph)
            sandbox.update_faults({"latency": 1.0})
            pending = [asyncio.ensure_future(f) for f in listings(graph, cipp, ids)]
            await asyncio.sleep(0.05)
            return pending

        asyncio.run(main())
        sys.exit(0)
        """,
        0,
    ),
    # The listings run on an event loop that is never closed; nothing cancels them.
    "exit_with_an_open_loop": (
        """
        async def start():
            sandbox = entra_sync.Sandbox.start(ESTATE)
            graph, cipp = providers(sandbox)
            ids = await tenant_ids(graph)
            sandbox.update_faults({"latency": 1.0})
            pending = [asyncio.ensure_future(f) for f in listings(graph, cipp, ids)]
            await asyncio.sleep(0.05)
            return sandbox, pending

        loop = asyncio.new_event_loop()
        kept = loop.run_until_complete(start())
        sys.exit(0)
        """,
        0,
    ),
    # A daemon thread's own event loop waits on a listing when the main thread returns.
    "exit_with_a_daemon_thread_awaiting_a_listing": (
        """
        sandbox = entra_sync.Sandbox.start(ESTATE)
        graph, cipp = providers(sandbox)
        tenant = entra_sync.Blocking(graph).list_managed_tenants()["tenants"][0]["entraTenantId"]
        sandbox.update_faults({"latency": 1.0})
        started = threading.Event()

        async def slow():
            listing = cipp.list_users(tenant)
            started.set()
            await listing

        threading.Thread(target=asyncio.run, args=(slow(),), daemon=True).start()
        started.wait()
        """,
        0,
    ),
}

# What a clean exit never prints.
FORBIDDEN = ("Fatal Python error", "panicked", "Exception ignored", "Traceback")


def run_child(script: Path, debug_logs: bool) -> Tuple[int, str]:
    env = dict(os.environ)
    env.pop("ENTRA_LIFECYCLE_DEBUG_LOGS", None)
    if debug_logs:
        env["ENTRA_LIFECYCLE_DEBUG_LOGS"] = "1"
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_interpreter_exits_cleanly(scenario: str, tmp_path: Path) -> None:
    body, expected = SCENARIOS[scenario]
    script = tmp_path / f"{scenario}.py"
    script.write_text(textwrap.dedent(PRELUDE) + textwrap.dedent(body), encoding="utf-8")
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda i: run_child(script, i % 2 == 1), range(RUNS)))
    failures: List[str] = []
    for run, (status, stderr) in enumerate(outcomes):
        noise = [marker for marker in FORBIDDEN if marker in stderr]
        if status != expected or noise:
            failures.append(f"run {run}: exit status {status}, {noise}\n{stderr[-2000:]}")
    assert not failures, f"{len(failures)} of {RUNS} runs failed:\n" + "\n".join(failures[:3])


def test_calls_after_the_runtime_has_stopped_raise_runtime_stopped(tmp_path: Path) -> None:
    script = tmp_path / "after_shutdown.py"
    script.write_text(
        textwrap.dedent(PRELUDE)
        + textwrap.dedent(
            """
            sandbox = entra_sync.Sandbox.start(ESTATE)
            graph, cipp = providers(sandbox)
            entra_sync._native._shutdown_runtime()  # what the exit handler does
            seen = []
            for call in (
                lambda: asyncio.run(graph.list_managed_tenants()),
                lambda: asyncio.run(entra_sync.call_async("plan_contacts", {})),
                lambda: entra_sync.Sandbox.start(ESTATE),
                sandbox.shutdown,
            ):
                try:
                    call()
                except entra_sync.EntraSyncError as err:
                    seen.append(err.code)
            print(",".join(seen))
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [",".join(["runtime_stopped"] * 4)], done.stderr
