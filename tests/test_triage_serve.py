"""`fuzz triage serve`: Datasette over the store, escaped, and seen by a real headless browser."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_triage_store import BUG_B, bug

from oracles.finding import Finding
from triage.serve import QUERIES, datasette
from triage.store import Store

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A store whose finding carries HTML in its title, its SQL and its results."""
    hostile = bug(title=f"Queue shows {XSS} literally")
    hostile = Finding(
        **{
            **hostile.__dict__,
            "setup": (*hostile.setup, f"INSERT INTO t0 VALUES ('{XSS}')"),
            "actual": [[XSS]],
        }
    )
    store_path = tmp_path / "triage.db"
    with Store.open(store_path) as store:
        run = store.start_run("run", seed=3)
        store.record(hostile, run)
        store.record(hostile, run)
        store.record(bug(BUG_B, title="HAVING drops the NULL group"), run)
        store.finish_run(run, {"checks": 3})
    return store_path


def get(path: Path, url: str) -> str:
    async def fetch() -> str:
        response = await datasette(path).client.get(url)
        assert response.status_code == 200, url
        return response.text

    return asyncio.run(fetch())


def test_the_queue_lists_open_findings_and_escapes_them(path: Path) -> None:
    page = get(path, "/triage/queue")
    assert "HAVING drops the NULL group" in page
    assert f"Queue shows {ESCAPED} literally" in page
    assert XSS not in page


def test_a_finding_with_its_occurrences_and_reproducer(path: Path) -> None:
    occurrences = get(path, "/triage/finding.json?id=1&_shape=array")
    assert occurrences.count('"finding": 1') == 2
    reproducer = get(path, "/triage/reproducer?id=1")
    assert f"INSERT INTO t0 VALUES (&#39;{ESCAPED}&#39;)" in reproducer
    assert XSS not in reproducer


def test_every_table_page_escapes_generated_strings(path: Path) -> None:
    for table in ("findings", "cases", "occurrences", "runs", "status_changes"):
        assert XSS not in get(path, f"/triage/{table}")
    assert ESCAPED in get(path, "/triage/cases")
    assert "recent_runs" in QUERIES and "1" in get(path, "/triage/recent_runs")


def chromium() -> str:
    found = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if found is None:
        if IN_CI:
            pytest.fail("chromium is not installed (apt-get install chromium chromium-driver)")
        pytest.skip("chromium is not installed")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_headless_chromium_sees_the_queue(path: Path, tmp_path: Path) -> None:
    browser = chromium()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fuzzer",
            "triage",
            "serve",
            "--store",
            str(path),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/triage/queue"
    try:
        wait_until_serving(server, url)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
            command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url]
            return subprocess.run(command, capture_output=True, text=True, timeout=120)

        dom = run("--dump-dom").stdout
        assert "HAVING drops the NULL group" in dom
        assert f"Queue shows {ESCAPED} literally" in dom  # text in the DOM, not an element
        assert XSS not in dom

        screenshot = tmp_path / "queue.png"
        run(f"--screenshot={screenshot}", "--window-size=1280,900")
        assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert screenshot.stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(30)


def wait_until_serving(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200
                return
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"fuzz triage serve exited: {server.stdout.read().decode()}")
            assert time.monotonic() < deadline, "fuzz triage serve did not start"
            time.sleep(0.1)
