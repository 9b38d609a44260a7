"""`fuzz triage serve`: the queue, a finding's page and its actions, over HTTP and in Chromium."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_triage_store import BUG_B, bug

from fuzzer.cli import cli
from oracles.finding import Finding
from triage.serve import QUERIES, datasette
from triage.store import Store

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A store of three findings: #1 (hit twice) carries HTML in its title, SQL and results;
    #2 is a HAVING bug on SQLite, #3 the same bug on DuckDB."""
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
        duckdb = bug(BUG_B, title="HAVING drops the NULL group on DuckDB", oracle="norec")
        duckdb = Finding(**{**duckdb.__dict__, "engine": duckdb.engine.__class__(
            "duckdb", "1.1.3", "duckdb", "")})  # fmt: skip
        store.record(duckdb, run)
        store.finish_run(run, {"checks": 4})
    return store_path


class Client:
    """Datasette's own test client over the store, keeping cookies like a browser."""

    def __init__(self, path: Path) -> None:
        self.ds = datasette(path)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        async def send() -> Any:
            call = getattr(self.ds.client, method)
            response = await call(url, cookies=self.cookies, **kwargs)
            self.cookies.update({k: v for k, v in response.cookies.items() if v})
            return response

        return asyncio.run(send())

    def get(self, url: str, status: int = 200) -> str:
        response = self.request("get", url)
        assert response.status_code == status, (url, response.text[:500])
        return response.text

    def post(self, url: str, data: dict[str, str], **kwargs: Any) -> Any:
        return self.request("post", url, data=data, **kwargs)

    def token(self, finding_id: int) -> str:
        page = self.get(f"/triage/findings/{finding_id}")
        return re.search(r'name="csrftoken" value="([^"]+)"', page)[1]


@pytest.fixture
def client(path: Path) -> Client:
    return Client(path)


def queue_ids(client: Client, query: str = "") -> list[int]:
    page = client.get(f"/triage/queue{query}")
    return [int(n) for n in re.findall(r'<tr data-finding="(\d+)">', page)]


def test_the_queue_lists_open_findings_most_frequent_first_with_links(client: Client) -> None:
    page = client.get("/triage/queue")
    assert queue_ids(client) == [1, 2, 3]
    for n in (1, 2, 3):
        assert f'href="/triage/findings/{n}"' in page
    assert f"Queue shows {ESCAPED} literally" in page
    assert XSS not in page
    assert "3.45.1" in page and "duckdb" in page and "norec/where" in page


def test_the_queue_filters_by_status_engine_oracle_and_feature(client: Client) -> None:
    with Store.open(client.ds.plugin_config("sqlparity")["store"]) as store:
        store.mark(2, "reported", url="https://example.org/bug/2")
    assert queue_ids(client) == [1, 3]  # reported is quiet: out of the open queue
    assert queue_ids(client, "?status=reported") == [2]
    assert queue_ids(client, "?status=all") == [1, 2, 3]
    assert queue_ids(client, "?status=all&engine=duckdb") == [3]
    assert queue_ids(client, "?status=all&oracle=tlp") == [1, 2]
    assert queue_ids(client, "?status=all&feature=having") == [2, 3]
    assert queue_ids(client, "?status=fixed") == []
    page = client.get("/triage/queue?status=all&engine=duckdb")
    assert '<option value="duckdb" selected>' in page  # the menus show the filter in force


def test_the_queue_answers_json_for_scripts(client: Client) -> None:
    rows = client.request("get", "/triage/queue.json?status=all&_shape=array").json()
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert rows[0]["occurrences"] == 2 and rows[0]["versions"] == "3.45.1"


def test_a_finding_page_has_everything_a_report_needs(client: Client) -> None:
    page = client.get("/triage/findings/1")
    assert f"#1 Queue shows {ESCAPED} literally" in page
    reproducer = re.search(r'<pre class="copyable" id="reproducer">(.*?)</pre>', page, re.S)[1]
    assert "CREATE TABLE t0(c0 INT);" in reproducer
    assert f"INSERT INTO t0 VALUES (&#39;{ESCAPED}&#39;);" in reproducer
    assert "IS NULL;" in reproducer  # never cut: the last query is there
    assert re.search(r'id="expected">.*?<td>1</td>', page, re.S)
    assert re.search(rf'id="actual">.*?<td>{re.escape(ESCAPED)}</td>', page, re.S)
    assert '<td id="oracles">tlp/where</td>' in page
    assert "<td>3.45.1</td><td>2</td>" in page  # versions: 2 hits on 3.45.1
    report = re.search(r'<pre class="copyable" id="report">(.*?)</pre>', page, re.S)[1]
    assert report.startswith("# Queue shows &amp;lt;script&amp;gt;")  # Markdown, escaped twice
    assert "## Expected" in report and "```sql" in report
    assert XSS not in page
    assert client.get("/triage/findings/99", status=404)


def test_a_finding_page_shows_columns_and_tables_added_later(client: Client) -> None:
    """Other helpers add bisect columns and evidence tables: they appear as they come."""
    conn = sqlite3.connect(client.ds.plugin_config("sqlparity")["store"])
    with conn:
        conn.execute("ALTER TABLE findings ADD COLUMN bisect_range TEXT")
        conn.execute("UPDATE findings SET bisect_range = '3.44.0..3.45.0' WHERE id = 1")
        conn.execute("CREATE TABLE evidence (finding_id INTEGER, oracle TEXT, variant TEXT)")
        conn.execute("INSERT INTO evidence VALUES (1, 'norec', 'count')")
    conn.close()
    page = client.get("/triage/findings/1")
    assert "<th>bisect range</th><td>3.44.0..3.45.0</td>" in page
    assert '<td id="oracles">tlp/where, norec/count</td>' in page


def test_marking_goes_through_the_store_and_keeps_history(client: Client, path: Path) -> None:
    token = client.token(1)
    response = client.post("/triage/findings/1/mark", {"status": "confirmed", "csrftoken": token,
                                                       "note": "seen it"})  # fmt: skip
    assert response.status_code == 302
    assert response.headers["location"] == "/triage/findings/1"
    reported = {"status": "reported", "url": "https://sqlite.org/forum/1", "csrftoken": token}
    assert client.post("/triage/findings/1/mark", reported).status_code == 302
    duplicate = {"status": "duplicate", "duplicate_of": "2", "csrftoken": token}
    assert client.post("/triage/findings/3/mark", duplicate).status_code == 302
    with Store.open(path) as store:
        assert store.get(1).status == "reported"
        assert store.get(1).url == "https://sqlite.org/forum/1"
        assert store.get(3).duplicate_of == 2
        changes = [(c.old_status, c.new_status, c.note) for c in store.history(1)]
    assert changes == [(None, "new", "first seen"), ("new", "confirmed", "seen it"),
                       ("confirmed", "reported", None)]  # fmt: skip
    page = client.get("/triage/findings/1")
    assert "#1 is now reported" in page  # Datasette's message, shown once
    assert '<a href="https://sqlite.org/forum/1" rel="noreferrer">' in page


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"status": "reported"}, "reported needs its url"),
        ({"status": "reported", "url": "javascript:alert(1)"}, "is not an http(s) link"),
        ({"status": "duplicate", "duplicate_of": "x"}, "is not a finding number"),
        ({"status": "duplicate", "duplicate_of": "1"}, "cannot be a duplicate of itself"),
        ({"status": "duplicate", "duplicate_of": "42"}, "no finding 42"),
        ({"status": "wontfix"}, "unknown action"),
    ],
)
def test_a_bad_action_is_one_clear_error_and_changes_nothing(
    client: Client, path: Path, form: dict[str, str], message: str
) -> None:
    response = client.post("/triage/findings/1/mark", {**form, "csrftoken": client.token(1)})
    assert response.status_code == 400
    assert message in response.text and "Traceback" not in response.text
    with Store.open(path) as store:
        assert store.get(1).status == "new" and len(store.history(1)) == 1


def test_a_write_without_the_csrf_token_is_refused(client: Client, path: Path) -> None:
    client.token(1)  # the browser has its cookie
    assert client.post("/triage/findings/1/mark", {"status": "confirmed"}).status_code == 403
    forged = {"status": "confirmed", "csrftoken": "forged"}
    assert client.post("/triage/findings/1/mark", forged).status_code == 403
    client.cookies.clear()  # a cross-site form: no cookie at all, whatever token it guesses
    assert client.post("/triage/findings/1/mark", forged).status_code == 403
    with Store.open(path) as store:
        assert store.get(1).status == "new"


def test_no_post_anywhere_else_gives_a_500(client: Client) -> None:
    token = client.token(1)
    urls = ["/", "/triage", "/triage/queue", "/triage/queue?status=all", "/triage/findings",
            "/triage/findings/1", "/triage/cases", "/triage/occurrences?id=1", "/-/nothing",
            "/triage/findings/99/mark"]  # fmt: skip
    for url in urls:
        response = client.post(url, {"csrftoken": token, "status": "confirmed"})
        assert response.status_code in (302, 403, 404, 405), url
        assert "Traceback" not in response.text
    assert client.post("/triage/findings/99/mark", {"csrftoken": token,
                                                    "status": "confirmed"}).status_code == 404
    assert client.get("/triage/findings/1/mark", status=405)
    for kind in ("multipart/form-data", "application/json", "text/plain"):
        response = client.request("post", "/triage/findings/1/mark", content=b"status=confirmed",
                                  headers={"content-type": kind})  # fmt: skip
        assert response.status_code == 415, kind


def test_a_request_for_another_host_name_is_refused(client: Client) -> None:
    """DNS rebinding: a page of evil.example resolving to 127.0.0.1 must not read or write."""
    response = client.request("get", "/triage/queue", headers={"host": "evil.example:8001"})
    assert response.status_code == 403
    assert client.request("get", "/triage/queue", headers={"host": "127.0.0.1:8001"}).status_code \
        == 200  # fmt: skip


def test_every_table_page_escapes_generated_strings(client: Client) -> None:
    for table in ("findings", "cases", "occurrences", "runs", "status_changes"):
        assert XSS not in client.get(f"/triage/{table}")
    assert ESCAPED in client.get("/triage/cases")
    assert "recent_runs" in QUERIES and "1" in client.get("/triage/recent_runs")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "example.org", "::"])
def test_serve_refuses_to_listen_beyond_loopback(path: Path, host: str) -> None:
    result = CliRunner().invoke(
        cli, ["triage", "serve", "--store", str(path), "--host", host], prog_name="fuzz"
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "not a loopback address" in result.output


# -- in a real browser ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(path: Path) -> Iterator[str]:
    """`fuzz triage serve` in its own process; yields the queue's URL."""
    port = free_port()
    command = [sys.executable, "-m", "fuzzer", "triage", "serve", "--store", str(path),
               "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/triage/queue"
    try:
        wait_until_serving(server, url)
        yield url
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


def browser() -> Any:
    """Headless Chromium driven through the system's chromedriver (nothing downloaded)."""
    missing = [n for n in ("chromium", "chromedriver") if shutil.which(n) is None]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install -e .[dev])")
    if missing:
        if IN_CI:
            pytest.fail(f"not installed: {', '.join(missing)}")
        pytest.skip(f"not installed: {', '.join(missing)}")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--window-size=1280,1000"):
        options.add_argument(flag)  # fmt: skip
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


def test_chromium_clicks_queue_then_finding_then_mark(
    served: str, path: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    shots = Path(os.environ.get("SQLPARITY_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    driver = browser()
    wait = WebDriverWait(driver, 30)
    try:
        driver.get(served)
        rows = driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
        assert [r.get_attribute("data-finding") for r in rows] == ["1", "2", "3"]
        title = driver.find_element(By.CSS_SELECTOR, "#queue tbody tr td:nth-child(4)").text
        assert title == f"Queue shows {XSS} literally"  # shown as text, not run as a script
        driver.save_screenshot(str(shots / "1-queue.png"))

        Select(driver.find_element(By.ID, "f-engine")).select_by_visible_text("duckdb")
        driver.find_element(By.ID, "apply-filters").click()
        wait.until(ec.url_contains("engine=duckdb"))
        rows = driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
        assert [r.get_attribute("data-finding") for r in rows] == ["3"]
        driver.get(served)

        driver.find_element(By.CSS_SELECTOR, 'tr[data-finding="1"] a.finding-link').click()
        wait.until(ec.presence_of_element_located((By.ID, "reproducer")))
        assert driver.current_url.endswith("/triage/findings/1")
        assert "IS NULL;" in driver.find_element(By.ID, "reproducer").text
        assert driver.find_element(By.ID, "status").text == "new"
        copy = driver.find_element(By.CSS_SELECTOR, 'button[data-copy="reproducer"]')
        copy.click()  # the clipboard may be refused headless: either way the script answered
        wait.until(lambda _: copy.text in ("Copied", "Select and copy"))
        driver.set_window_size(1280, 3000)  # the whole page, down to the bug report
        driver.save_screenshot(str(shots / "2-finding.png"))
        driver.set_window_size(1280, 1000)

        form = driver.find_element(By.ID, "mark-reported")
        form.find_element(By.NAME, "url").send_keys("https://sqlite.org/forum/forumpost/1")
        form.find_element(By.NAME, "note").send_keys("reported upstream")
        form.find_element(By.TAG_NAME, "button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "reported"))
        assert "#1 is now reported" in driver.find_element(By.CLASS_NAME, "message-info").text
        driver.save_screenshot(str(shots / "3-marked.png"))
    finally:
        driver.quit()
    with Store.open(path) as store:
        finding = store.get(1)
        assert finding.status == "reported"
        assert finding.url == "https://sqlite.org/forum/forumpost/1"
        assert store.history(1)[-1].note == "reported upstream"
    for shot in shots.glob("*.png"):
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
