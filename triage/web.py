"""The triage plugin for Datasette: a finding's page, its workflow actions, and the guards.

    GET  /triage/findings/N        the finding: reproducer, expected against actual, oracles,
                                   versions, occurrences, history, the Markdown bug report
    POST /triage/findings/N/mark   a workflow action, through Store.mark (as `fuzz triage mark`)

Every other POST is refused with 405 before Datasette sees it: the store is written only by
the actions, and Datasette's own POST handlers answer a read-only canned query or a table
with a 500. A request whose Host is not a loopback name is refused too (DNS rebinding: a page
elsewhere must not reach this server under a name of its own).

A write passes three checks: Datasette's CSRF middleware, our own check that the form's token
is the cookie's (the middleware lets a POST without cookies through, and our actions need no
login cookie), and the `sqlparity-mark` permission, allowed by default on loopback.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import Request, Response

from triage.report import markdown, statements_text, tabulate
from triage.serve import DATABASE, STATUS_FILTERS, is_loopback
from triage.store import Status, Store, StoredFinding, StoreError

PERMISSION = "sqlparity-mark"
FINDING = rf"^/{DATABASE}/findings/(?P<id>\d+)$"
MARK = rf"^/{DATABASE}/findings/(?P<id>\d+)/mark$"
_MARK = re.compile(MARK)


@dataclass(frozen=True)
class Action:
    """One button of a finding's page: the status it sets and the field it asks for."""

    status: Status
    label: str
    field: str | None = None  # url, duplicate_of, fixed_in
    required: bool = False


ACTIONS = (
    Action(Status.CONFIRMED, "Confirm"),
    Action(Status.REPORTED, "Reported", "url", required=True),
    Action(Status.DUPLICATE, "Duplicate of", "duplicate_of", required=True),
    Action(Status.NOT_A_BUG, "Invalid (not a bug)"),
    Action(Status.FIXED, "Fixed", "fixed_in"),
    Action(Status.NEW, "Reopen"),
)
_BY_STATUS = {a.status.value: a for a in ACTIONS}
_KNOWN = {f.name for f in fields(StoredFinding)}
#: the tables the finding page shows in their own sections
_SHOWN = {"findings", "occurrences", "cases", "status_changes", "runs"}


def _store_path(datasette: Any) -> str | None:
    """The store this Datasette serves; None for an instance that is not `fuzz triage serve`."""
    return (datasette.plugin_config("sqlparity") or {}).get("store")


# -- hooks ------------------------------------------------------------------------------------


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Callable[..., Any]]]:
    if _store_path(datasette) is None:
        return []
    return [(FINDING, finding_page), (MARK, mark)]


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    def wrap(app: Any) -> Any:
        if _store_path(datasette) is None:
            return app

        async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                refusal = _refusal(scope)
                if refusal is not None:
                    await refusal.asgi_send(send)
                    return
            await app(scope, receive, send)

        return guarded

    return wrap


def _refusal(scope: Mapping[str, Any]) -> Response | None:
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin-1")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not is_loopback(name):
        return Response.text(f"refused: {host!r} is not a loopback host name\n", status=403)
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return None
    if _MARK.match(scope["path"]):
        # the action forms post urlencoded; the CSRF middleware fails on a multipart body
        # without its boundary, so nothing else gets that far
        kind = headers.get(b"content-type", b"").split(b";", 1)[0].strip()
        if kind == b"application/x-www-form-urlencoded":
            return None
        return Response.text(
            "refused: an action is a form (application/x-www-form-urlencoded)\n", status=415
        )
    return Response.text(
        "refused: this server writes only through a finding's actions "
        f"(POST /{DATABASE}/findings/N/mark)\n",
        status=405,
        headers={"allow": "GET, HEAD"},
    )


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> Any:
    """The queue's filter choices: the statuses, and the engines, oracles and features seen."""
    if template != f"query-{DATABASE}-queue.html" or _store_path(datasette) is None:
        return None

    async def choices() -> dict[str, Any]:
        db = datasette.get_database(DATABASE)

        async def column(sql: str) -> list[str]:
            return [row[0] for row in (await db.execute(sql)).rows]

        return {
            "status_choices": STATUS_FILTERS,
            "engine_choices": await column("SELECT DISTINCT engine FROM findings ORDER BY 1"),
            "oracle_choices": await column("SELECT DISTINCT oracle FROM findings ORDER BY 1"),
            "feature_choices": await column(
                "SELECT DISTINCT j.value FROM findings, json_each(findings.features) j ORDER BY 1"
            ),
        }

    return choices


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]] | None:
    if _store_path(datasette) is None:
        return None
    return [{"href": datasette.urls.path(f"/{DATABASE}/queue"), "label": "Triage queue"}]


# -- the finding page -------------------------------------------------------------------------


async def finding_page(datasette: Any, request: Request) -> Response:
    finding_id = int(request.url_vars["id"])
    db = datasette.get_database(DATABASE)
    try:
        context = await db.execute_fn(lambda conn: _finding(conn, finding_id))
    except StoreError as exc:
        return await _error(datasette, request, str(exc), _status_of(exc, finding_id))
    context.update(
        database=DATABASE,
        actions=ACTIONS,
        queue_url=datasette.urls.path(f"/{DATABASE}/queue"),
        finding_url=lambda n: datasette.urls.path(f"/{DATABASE}/findings/{n}"),
        occurrences_url=datasette.urls.path(f"/{DATABASE}/occurrences?id={finding_id}"),
        can_mark=await datasette.permission_allowed(request.actor, PERMISSION, default=True),
    )
    html = await datasette.render_template(
        "sqlparity-finding.html", context, request=request, view_name="sqlparity-finding"
    )
    return Response.html(html)


def _finding(conn: sqlite3.Connection, finding_id: int) -> dict[str, Any]:
    """Everything the finding page shows, read on one of Datasette's connections."""
    db = sqlite_utils.Database(conn)
    store = Store(db, None)
    rows = list(db.query("SELECT * FROM findings WHERE id = ?", [finding_id]))
    if not rows:
        raise StoreError(f"no finding {finding_id} in the store")
    row = rows[0]
    best = store.best_case(finding_id)
    judged = best if best.queries is not None else store.replayable_case(finding_id)
    if best.setup is not None and best.queries is not None:
        script = statements_text((*best.setup, *best.queries))
    else:
        script = best.script
    occurrences = list(db.query(
        "SELECT seen, engine_version, reference_version, seed, position, run_id "
        "FROM occurrences WHERE finding_id = ? ORDER BY seen DESC, id DESC LIMIT 50",
        [finding_id],
    ))  # fmt: skip
    related = _related(db, finding_id)
    return {
        "finding": row,
        "features": _features(row.get("features")),
        # columns other helpers add (bisect range, evidence...) are shown as they come
        "more": {k: v for k, v in row.items() if k not in _KNOWN and v not in (None, "")},
        "case": best,
        "script": script,
        "expected": _table(judged.expected),
        "actual": _table(judged.actual),
        "versions": store.versions(finding_id),
        "occurrences": occurrences,
        "history": store.history(finding_id),
        "related": related,
        "report": markdown(store, finding_id),
        "oracles": _oracles(row, related),
    }


def _features(text: Any) -> list[str]:
    try:
        value = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _table(value: Any) -> dict[str, Any]:
    """Expected or actual, as a table when it is rows, else as JSON text."""
    table = tabulate(value)
    if table is None:
        return {"json": json.dumps(value, indent=2, default=str)}
    headers, rows = table
    return {"headers": headers, "rows": rows}


def _oracles(row: Mapping[str, Any], related: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """The oracles that flagged it: its own, and any named in other tables' evidence rows."""
    found = [f"{row['oracle']}/{row['variant']}"]
    for records in related.values():
        for record in records:
            if record.get("oracle"):
                name = "/".join(str(record[k]) for k in ("oracle", "variant") if record.get(k))
                if name not in found:
                    found.append(name)
    return found


def _related(db: sqlite_utils.Database, finding_id: int) -> dict[str, list[dict[str, Any]]]:
    """Rows about this finding in tables the page does not know (evidence, bisect runs...)."""
    related = {}
    for name in db.table_names():
        if name in _SHOWN or "finding_id" not in db[name].columns_dict:
            continue
        related[name] = list(
            db.query(f"SELECT * FROM [{name}] WHERE finding_id = ? LIMIT 50", [finding_id])
        )
    return {k: v for k, v in related.items() if v}


# -- the actions ------------------------------------------------------------------------------


async def mark(datasette: Any, request: Request) -> Response:
    """Apply one action, through the store's own mark (so history is kept), then go back."""
    if request.method != "POST":
        return await _error(datasette, request, "an action is a POST from the finding's page", 405)
    finding_id = int(request.url_vars["id"])
    form = await request.post_vars()
    # the middleware passes a POST that has no cookies; a fresh token never matches the form's
    if not secrets.compare_digest(form.get("csrftoken", ""), request.scope["csrftoken"]()):
        return await _error(datasette, request, "refused: missing or stale CSRF token", 403)
    if not await datasette.permission_allowed(request.actor, PERMISSION, default=True):
        return await _error(datasette, request, f"refused: no {PERMISSION} permission", 403)
    try:
        changes = _change(form)
        path = _store_path(datasette)

        def write(conn: sqlite3.Connection) -> StoredFinding:
            conn.execute("PRAGMA foreign_keys = ON")
            store = Store(sqlite_utils.Database(conn), Path(path))
            who = (request.actor or {}).get("id")
            return store.mark(finding_id, **changes, who=who)

        after = await datasette.get_database(DATABASE).execute_write_fn(write)
    except StoreError as exc:
        return await _error(datasette, request, str(exc), _status_of(exc, finding_id, 400))
    except sqlite3.Error as exc:
        return await _error(datasette, request, f"the store refused the change: {exc}", 503)
    message = f"#{finding_id} is now {after.status}"
    if after.duplicate_of is not None:
        message += f" of #{after.duplicate_of}"
    datasette.add_message(request, message, datasette.INFO)
    return Response.redirect(datasette.urls.path(f"/{DATABASE}/findings/{finding_id}"))


def _change(form: Mapping[str, str]) -> dict[str, Any]:
    """The keyword arguments of Store.mark for a submitted form; StoreError when it is wrong."""
    action = _BY_STATUS.get(form.get("status", ""))
    if action is None:
        known = ", ".join(_BY_STATUS)
        raise StoreError(f"unknown action {form.get('status', '')!r} (known: {known})")
    change: dict[str, Any] = {"status": action.status.value, "note": form.get("note") or None}
    value = (form.get(action.field, "") if action.field else "").strip()
    if action.required and not value:
        raise StoreError(f"{action.label.lower()} needs its {action.field.replace('_', ' ')}")
    if action.field == "url" and value and not re.match(r"https?://\S+$", value):
        raise StoreError(f"{value!r} is not an http(s) link")
    if action.field == "duplicate_of":
        if not value.lstrip("#").isdigit():
            raise StoreError(f"{value!r} is not a finding number")
        value = int(value.lstrip("#"))
    if action.field and value:
        change[action.field] = value
    return change


def _status_of(exc: StoreError, finding_id: int, otherwise: int = 409) -> int:
    """404 when the page's finding is not there, else `otherwise` (the request, or the store):
    a duplicate of a finding that is not there is a bad request."""
    return 404 if str(exc).startswith(f"no finding {finding_id} ") else otherwise


async def _error(datasette: Any, request: Request, message: str, status: int) -> Response:
    """An error page in Datasette's own template, without a traceback."""
    html = await datasette.render_template(
        "error.html",
        {"error": message, "status": status, "title": f"Error {status}"},
        request=request,
    )
    return Response.html(html, status=status)
