"""What the guard refuses on PostgreSQL and the servers that speak its protocol.

A PostgreSQL session cannot name another database's objects, so in database mode the danger
is what reaches past the database altogether: roles, server files and programs, settings of
the whole server, other servers. In schema mode (a scratch schema in the user's own database)
every other schema of that database is the user's, and may be neither named nor put on the
search path. Routine bodies (DO, CREATE FUNCTION) are judged like statements, word by word,
and may not build SQL at run time.
"""

from __future__ import annotations

import re

from fuzzer.guard.core import Rules, Statement, after, name_of, unquote
from fuzzer.script import Lexicon, Token

#: standard_conforming_strings on (the default since 9.1) and off: the guard reads both ways
LEXICON = Lexicon(backslash_strings=False, nested_comments=True, dollar_quotes=True)
LEGACY = Lexicon(backslash_strings=True, nested_comments=True, dollar_quotes=True)

DATABASES = "database DDL acts outside the scratch database"
ROLES = "roles are shared by every database on the server"
PRIVILEGES = "privileges reach past the scratch database"
IDENTITY = "the scratch session must keep running as its own role"
SERVER = "it acts on the whole server"
FOREIGN = "it reaches other servers or databases"
FILES = "it reads or writes the server's files"
REPLICATION = "replication acts on the whole server"
HIDDEN = "it runs SQL text the guard cannot see"

HEADS: dict[tuple[str, ...], str] = {
    **{(verb, "DATABASE"): DATABASES for verb in ("CREATE", "ALTER", "DROP")},
    **{
        (verb, kind): ROLES
        for verb in ("CREATE", "ALTER", "DROP")
        for kind in ("ROLE", "USER", "GROUP")
    },
    ("REASSIGN",): ROLES,
    ("DROP", "OWNED"): ROLES,
    ("GRANT",): PRIVILEGES,
    ("REVOKE",): PRIVILEGES,
    ("ALTER", "DEFAULT", "PRIVILEGES"): PRIVILEGES,
    ("SECURITY", "LABEL"): PRIVILEGES,
    ("SET", "ROLE"): IDENTITY,
    ("RESET", "ROLE"): IDENTITY,
    ("SET", "AUTHORIZATION"): IDENTITY,  # SET [SESSION] SESSION AUTHORIZATION, SESSION is noise
    ("RESET", "AUTHORIZATION"): IDENTITY,
    ("RESET", "ALL"): IDENTITY,
    ("DISCARD", "ALL"): IDENTITY,
    ("ALTER", "SYSTEM"): SERVER,
    ("CHECKPOINT",): SERVER,
    ("LOAD",): SERVER,
    **{
        (verb, kind): SERVER
        for verb in ("CREATE", "ALTER", "DROP")
        for kind in ("TABLESPACE", "EVENT", "LANGUAGE", "ACCESS")
    },
    ("ALTER", "EXTENSION"): SERVER,
    ("ALTER", "SCHEMA"): DATABASES,
    ("REINDEX", "SYSTEM"): SERVER,
    ("REINDEX", "DATABASE"): SERVER,
    **{("COMMENT", "ON", kind): SERVER for kind in ("DATABASE", "ROLE", "TABLESPACE", "SCHEMA")},
    **{
        (verb, kind): FOREIGN
        for verb in ("CREATE", "ALTER", "DROP")
        for kind in ("FOREIGN", "SERVER", "SUBSCRIPTION", "PUBLICATION")
    },
    ("IMPORT", "FOREIGN"): FOREIGN,
    **{
        (cmd,): REPLICATION
        for cmd in (
            "START_REPLICATION",
            "BASE_BACKUP",
            "CREATE_REPLICATION_SLOT",
            "DROP_REPLICATION_SLOT",
            "ALTER_REPLICATION_SLOT",
            "IDENTIFY_SYSTEM",
            "TIMELINE_HISTORY",
            "READ_REPLICATION_SLOT",
            "UPLOAD_MANIFEST",
        )
    },
}

NOISE = frozenset(
    "OR REPLACE TEMP TEMPORARY UNLOGGED GLOBAL UNIQUE TRUSTED PROCEDURAL SESSION LOCAL".split()
)

PHRASES: dict[tuple[str, ...], str] = {
    ("OWNER", "TO"): "it gives an object to another role",
    ("AUTHORIZATION",): IDENTITY,
    ("TO", "PROGRAM"): "it runs a program on the server",
    ("FROM", "PROGRAM"): "it runs a program on the server",
}

NAMES: dict[str, str] = {
    "set_config": "it changes settings the guard must see (role, search_path)",
    "ts_stat": HIDDEN,
    "lo_import": FILES,
    "lo_export": FILES,
    "pg_stat_file": FILES,
    "pg_logdir_ls": FILES,
    **{
        name: SERVER
        for name in (
            "pg_terminate_backend",
            "pg_cancel_backend",
            "pg_signal_backend",
            "pg_reload_conf",
            "pg_rotate_logfile",
            "pg_promote",
            "pg_switch_wal",
            "pg_switch_xlog",
            "pg_create_restore_point",
            "pg_start_backup",
            "pg_stop_backup",
            "pg_log_backend_memory_contexts",
            "pg_import_system_collations",
        )
    },
}

PREFIXES: dict[str, str] = {
    "pg_read_": FILES,
    "pg_ls_": FILES,
    "pg_file_": FILES,
    "dblink": FOREIGN,
    "postgres_fdw": FOREIGN,
    **{
        p: HIDDEN
        for p in (
            "query_to_xml",
            "cursor_to_xml",
            "table_to_xml",
            "schema_to_xml",
            "database_to_xml",
        )
    },
    **{
        p: SERVER
        for p in (
            "pg_backup_",
            "pg_wal_replay_",
            "pg_xlog_replay_",
            "pg_stat_reset",
            "pg_create_physical_replication_slot",
            "pg_create_logical_replication_slot",
            "pg_drop_replication_slot",
            "pg_copy_physical_replication_slot",
            "pg_copy_logical_replication_slot",
            "pg_replication_",
            "pg_logical_",
        )
    },
}

ROUTINES = (("CREATE", "FUNCTION"), ("CREATE", "PROCEDURE"), ("DO",))
IN_ROUTINES = {
    "EXECUTE": "dynamic SQL hides its statements from the guard",
    "COPY": FILES,
    "PREPARE": "dynamic SQL hides its statements from the guard",
}
WRAPPERS = (("EXPLAIN",), ("PREPARE",), ("CREATE", "RULE"), ("DECLARE",))

#: routine languages whose code the guard can read (anything else runs code it cannot)
LANGUAGES = frozenset({"sql", "plpgsql"})
#: extensions that add types and functions only, trusted by PostgreSQL itself
EXTENSIONS = frozenset(
    """plpgsql pgcrypto hstore citext ltree pg_trgm fuzzystrmatch intarray cube seg isn
    tablefunc unaccent btree_gin btree_gist uuid-ossp tcn tsm_system_rows tsm_system_time
    earthdistance lo bloom""".split()
)
#: search_path entries that expose nothing of the user's (not "$user": without a scratch role
#: of its own, the session's user is the URL's, and its schema the user's)
PATH_SAFE = frozenset({"pg_catalog", "pg_temp", "information_schema"})
#: settings after SET or RESET that change who the session is or how it reads text
PROTECTED = {
    "ROLE": IDENTITY,
    "SESSION_AUTHORIZATION": IDENTITY,
    "CLIENT_ENCODING": "it changes how the server reads the text the guard checked",
    "NAMES": "it changes how the server reads the text the guard checked",
}


def copy_target(stmt: Statement) -> str | None:
    """COPY to or from a file or program acts on the server's files; to or from the client
    (STDIN, STDOUT) it needs a client that feeds or reads it, and leaves a statement-only
    session stuck in COPY. So no COPY at all, with the reason that matters."""
    if not stmt.opens("COPY"):
        return None
    for n, (k, depth) in enumerate(zip(stmt.keys, stmt.depths(), strict=True)):
        if depth == 0 and k in ("TO", "FROM") and n > 1:
            target = stmt.keys[n + 1] if n + 1 < len(stmt.keys) else ""
            if target not in ("STDIN", "STDOUT"):
                return f"COPY {k} a file or a program: {FILES}"
            return f"COPY {k} {target}: it needs a client to feed or read it"
    return None


def schema_names(stmt: Statement) -> str | None:
    """`SCHEMA name` (CREATE, DROP, SET SCHEMA, REINDEX SCHEMA...) only for the scratch's own."""
    for n, k in enumerate(stmt.keys):
        if k != "SCHEMA" or stmt.tokens[n].kind != "word":
            continue
        m = after(stmt, n, "IF", "NOT", "EXISTS")
        while m < len(stmt.tokens):
            name = name_of(stmt.tokens[m])
            if name not in stmt.scope.own:
                return f"schema {name or stmt.tokens[m].text}: only the scratch's own schema"
            if m + 1 >= len(stmt.keys) or stmt.keys[m + 1] != ",":
                break
            m += 2
    return None


def search_path(stmt: Statement) -> str | None:
    """search_path may hold only the scratch's own schema and the system's."""
    for n, k in enumerate(stmt.keys):
        if k != "SEARCH_PATH":
            continue
        before = stmt.keys[n - 1] if n else ""
        if before == "RESET" and "public" not in stmt.scope.own:
            return "RESET search_path would expose the user's schemas"
        if n + 1 >= len(stmt.keys) or stmt.keys[n + 1] not in ("=", "TO"):
            continue
        for tok in stmt.tokens[n + 2 :]:
            if tok.kind == "other" and tok.text == ",":
                continue
            if tok.upper == "FROM" or tok.kind in ("open", "close"):
                break
            names = unquote(tok.text).split(",") if tok.kind == "string" else [tok.text]
            for raw in names:
                name = unquote(raw.strip()).lower() if tok.kind != "word" else raw.lower()
                if name == "default" and "public" not in stmt.scope.own:
                    return "search_path DEFAULT would expose the user's schemas"
                if name and name != "default" and name not in stmt.scope.own | PATH_SAFE:
                    return f"search_path {name} would expose a schema outside the scratch"
    return None


def settings(stmt: Statement) -> str | None:
    """SET ROLE and kin, wherever they are (ALTER FUNCTION ... SET role = ... too)."""
    for n, k in enumerate(stmt.keys):
        if k not in PROTECTED:
            continue
        m = n - 1
        while m >= 0 and stmt.keys[m] in ("SESSION", "LOCAL"):
            m -= 1
        if m >= 0 and stmt.keys[m] in ("SET", "RESET"):
            return f"{stmt.keys[m]} {k.lower()}: {PROTECTED[k]}"
    return None


def languages(stmt: Statement) -> str | None:
    for n, k in enumerate(stmt.keys[:-1]):
        if k == "LANGUAGE":
            tok = stmt.tokens[n + 1]
            name = unquote(tok.text).lower() if tok.kind == "string" else name_of(tok)
            if name not in LANGUAGES:
                return f"LANGUAGE {name}: the guard cannot read its code"
    return None


def bodies(stmt: Statement) -> str | None:
    """The code of DO and CREATE FUNCTION/PROCEDURE is judged too, word by word."""
    if not any(stmt.opens(*w) for w in ROUTINES):
        return None
    for tok in stmt.tokens:
        if tok.kind not in ("string", "dollar"):
            continue
        reason = stmt.judge(literal(tok), routine=True)
        if reason is not None:
            return f"in its body: {reason}"
    return None


def literal(tok: Token) -> str:
    """The text of a string or dollar-quoted literal."""
    if tok.kind == "dollar":
        tag = tok.text[: tok.text.index("$", 1) + 1]
        return tok.text[len(tag) : -len(tag)]
    text = tok.text
    if text[0] in "Ee":  # backslash escapes: enough to read the code, not to run it
        return re.sub(r"\\(.)", r"\1", text[2:-1].replace("''", "'"))
    return unquote(text.lstrip("XxBbNn"))


def prepared(stmt: Statement) -> str | None:
    """PREPARE name [(types)] AS statement: the statement is judged as one."""
    if not stmt.opens("PREPARE"):
        return None
    for n, (k, depth) in enumerate(zip(stmt.keys, stmt.depths(), strict=True)):
        if k == "AS" and depth == 0:
            reason = stmt.judge(stmt.text[stmt.tokens[n].end :])
            return None if reason is None else f"the prepared statement: {reason}"
    return None


def extensions(stmt: Statement) -> str | None:
    if not stmt.opens("CREATE", "EXTENSION"):
        return None
    n = after(stmt, 1, "EXTENSION", "IF", "NOT", "EXISTS")
    name = name_of(stmt.tokens[n]) if n < len(stmt.tokens) else None
    if name not in EXTENSIONS:
        return f"CREATE EXTENSION {name}: only extensions that add types and functions"
    return None


def unicode_escapes(stmt: Statement) -> str | None:
    """U&"d\\0061ta": escapes would hide a name from the guard."""
    for a, b, c in zip(stmt.tokens, stmt.tokens[1:], stmt.tokens[2:], strict=False):
        if a.upper == "U" and b.text == "&" and a.end == b.start and b.end == c.start:
            return "U& escapes hide names from the guard"
    return None


_NAMED: dict[frozenset[str], re.Pattern[str]] = {}


def named_in_strings(stmt: Statement) -> str | None:
    """'public.t'::regclass names a table by text: no other schema there either."""
    foreign = stmt.scope.foreign
    if not foreign:
        return None
    if foreign not in _NAMED:
        names = "|".join(re.escape(n) for n in sorted(foreign, key=len, reverse=True))
        _NAMED[foreign] = re.compile(rf'(?i)(?<![\w$])"?({names})"?\s*\.')
    for tok in stmt.tokens:
        if tok.kind in ("string", "dollar") and (m := _NAMED[foreign].search(tok.text)):
            return f"`{m.group(1)}.` in a string names another schema"
    return None


RULES = Rules(
    lexicon=LEXICON,
    alternate=LEGACY,
    heads=HEADS,
    noise=NOISE,
    phrases=PHRASES,
    names=NAMES,
    name_prefixes=PREFIXES,
    routines=ROUTINES,
    in_routines=IN_ROUTINES,
    wrappers=WRAPPERS,
    hooks=(
        copy_target,
        schema_names,
        search_path,
        settings,
        languages,
        extensions,
        unicode_escapes,
        named_in_strings,
        prepared,
        bodies,
    ),
)
