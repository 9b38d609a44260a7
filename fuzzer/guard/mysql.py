"""What the guard refuses on MySQL, MariaDB and TiDB.

On these servers `db.table` reaches any database the session's user can see, so besides
what acts on the whole server (users, global settings, files, replication, plugins), every
name qualified with another database is refused. Text the server runs as code without the
guard seeing it as such is refused too: `/*! ... */` comments, PREPARE from a variable.
"""

from __future__ import annotations

import re

from fuzzer.engines.base import SCRATCH_PREFIX
from fuzzer.guard.core import Rules, Statement, name_of
from fuzzer.script import Lexicon, Token

#: the default sql_mode, and NO_BACKSLASH_ESCAPES with ANSI_QUOTES: the guard reads both ways
LEXICON = Lexicon(
    backslash_strings=True,
    double_quoted_strings=True,
    hash_comments=True,
    dash_comment_needs_space=True,
    escape_prefixes="",
    digit_names=True,
)
PLAIN_STRINGS = Lexicon(
    backslash_strings=False,
    hash_comments=True,
    dash_comment_needs_space=True,
    escape_prefixes="",
    digit_names=True,
)

DATABASES = "database DDL acts outside the scratch database"
USERS = "users and roles are the server's, not the scratch's"
PRIVILEGES = "privileges reach past the scratch database"
SERVER = "it acts on the whole server"
REPLICATION = "replication acts on the whole server"
FOREIGN = "it reaches other servers"
FILES = "it reads or writes the server's files"
DYNAMIC = "dynamic SQL hides its statements from the guard"
ENCODING = "it changes how the server reads the text the guard checked"

HEADS: dict[tuple[str, ...], str] = {
    **{(verb, kind): DATABASES for verb in ("CREATE", "DROP") for kind in ("DATABASE", "SCHEMA")},
    **{(verb, "USER"): USERS for verb in ("CREATE", "ALTER", "DROP", "RENAME")},
    **{(verb, "ROLE"): USERS for verb in ("CREATE", "DROP", "SET")},
    ("SET", "DEFAULT", "ROLE"): USERS,
    ("SET", "PASSWORD"): USERS,
    ("GRANT",): PRIVILEGES,
    ("REVOKE",): PRIVILEGES,
    **{("SET", scope): SERVER for scope in ("GLOBAL", "PERSIST", "PERSIST_ONLY")},
    **{
        (cmd,): SERVER
        for cmd in (
            "SHUTDOWN",
            "RESTART",
            "KILL",
            "FLUSH",
            "RESET",
            "PURGE",
            "INSTALL",
            "UNINSTALL",
            "CLONE",
            "BINLOG",
            "BACKUP",
        )
    },
    ("ALTER", "INSTANCE"): SERVER,
    ("LOCK", "INSTANCE"): SERVER,
    ("UNLOCK", "INSTANCE"): SERVER,
    **{
        (verb, kind): SERVER
        for verb in ("CREATE", "ALTER", "DROP")
        for kind in ("TABLESPACE", "LOGFILE", "RESOURCE")
    },
    ("SET", "RESOURCE"): SERVER,
    ("CREATE", "SPATIAL"): SERVER,
    ("DROP", "SPATIAL"): SERVER,
    **{(verb, "EVENT"): "events run later, unguarded" for verb in ("CREATE", "ALTER", "DROP")},
    ("CHANGE",): REPLICATION,
    **{
        (verb, what): REPLICATION
        for verb in ("START", "STOP")
        for what in ("SLAVE", "REPLICA", "ALL", "GROUP_REPLICATION")
    },
    **{(verb, "SERVER"): FOREIGN for verb in ("CREATE", "ALTER", "DROP")},
    ("LOAD",): FILES,
    ("IMPORT",): FILES,
    ("USE",): "it leaves the scratch database",
    ("SET", "NAMES"): ENCODING,
    ("SET", "CHARACTER"): ENCODING,
    ("SET", "CHARSET"): ENCODING,
}

NOISE = frozenset("OR REPLACE TEMPORARY ONLINE OFFLINE IGNORE AGGREGATE SESSION".split())

PHRASES: dict[tuple[str, ...], str] = {
    ("INTO", "OUTFILE"): FILES,
    ("INTO", "DUMPFILE"): FILES,
    ("DATA", "DIRECTORY"): FILES,
    ("INDEX", "DIRECTORY"): FILES,
    ("DEFINER", "="): "a DEFINER runs code as another user",
    ("SONAME",): "it loads a library into the server",
    ("CONNECTION", "="): FOREIGN,
    **{("@", "@", scope): SERVER for scope in ("GLOBAL", "PERSIST", "PERSIST_ONLY")},
    **{(name,): ENCODING for name in ("CHARACTER_SET_CLIENT", "CHARACTER_SET_CONNECTION")},
}

NAMES = {
    "load_file": FILES,
    "sys_exec": "it runs a program on the server",
    "sys_eval": "it runs a program on the server",
}

ROUTINES = (("CREATE", "PROCEDURE"), ("CREATE", "FUNCTION"), ("CREATE", "TRIGGER"))
IN_ROUTINES = {"PREPARE": DYNAMIC, "EXECUTE": DYNAMIC}
WRAPPERS = (("EXPLAIN",), ("DESCRIBE",), ("DESC",), ("ANALYZE",), ("SET", "STATEMENT"))

#: storage engines that keep their data in the scratch database's own files
ENGINES = frozenset(
    """INNODB MYISAM ARIA MEMORY HEAP ARCHIVE BLACKHOLE CSV MERGE MRG_MYISAM SEQUENCE
    ROCKSDB TOKUDB COLUMNSTORE""".split()
)
#: what may follow ALTER DATABASE when it names no database (it then means the scratch)
DATABASE_OPTIONS = frozenset("CHARACTER CHARSET COLLATE DEFAULT ENCRYPTION READ COMMENT".split())


def literal(tok: Token, backslashes: bool) -> str:
    """A string literal's text, with or without the server's backslash escapes."""
    text = tok.text.lstrip("Nn")
    quote, inner = text[0], text[1:-1]
    if not backslashes:
        return inner.replace(quote * 2, quote)
    escapes = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "Z": "\x1a"}
    return re.sub(
        rf"\\(.)|{quote}{quote}",
        lambda m: quote if m.group(1) is None else escapes.get(m.group(1), m.group(1)),
        inner,
        flags=re.DOTALL,
    )


def _judge_literal(stmt: Statement, tok: Token, what: str) -> str | None:
    for backslashes in (True, False):  # the server reads it one way or the other
        reason = stmt.judge(literal(tok, backslashes))
        if reason is not None:
            return f"{what}: {reason}"
    return None


def prepared(stmt: Statement) -> str | None:
    """PREPARE s FROM 'text': the text is judged; PREPARE s FROM @v cannot be."""
    if not stmt.opens("PREPARE"):
        return None
    n = stmt.keys.index("FROM") if "FROM" in stmt.keys else len(stmt.keys)
    rest = stmt.tokens[n + 1 :]
    if len(rest) != 1 or rest[0].kind != "string" or rest[0].text[0] in "XxBb":
        return f"PREPARE from anything but a string literal: {DYNAMIC}"
    return _judge_literal(stmt, rest[0], "the prepared statement")


def immediate(stmt: Statement) -> str | None:
    """EXECUTE IMMEDIATE 'text' (MariaDB): the text is judged; an expression cannot be."""
    if not stmt.opens("EXECUTE", "IMMEDIATE"):
        return None
    rest = stmt.tokens[2:]
    using = next((n for n, t in enumerate(rest) if t.upper == "USING"), len(rest))
    if using != 1 or rest[0].kind != "string" or rest[0].text[0] in "XxBb":
        return f"EXECUTE IMMEDIATE of anything but a string literal: {DYNAMIC}"
    return _judge_literal(stmt, rest[0], "the immediate statement")


def set_scope(stmt: Statement) -> str | None:
    """SET x = 1, GLOBAL y = 2: a later assignment may be global too."""
    if not stmt.opens("SET"):
        return None
    for k in stmt.keys:
        if k == "FOR":  # SET STATEMENT ... FOR statement: the statement was judged as such
            break
        if k in ("GLOBAL", "PERSIST", "PERSIST_ONLY"):
            return f"SET {k}: {SERVER}"
        if k in ("NAMES", "CHARSET", "CHARACTER"):
            return f"SET {k}: {ENCODING}"
    return None


def show_names(stmt: Statement) -> str | None:
    """SHOW TABLES FROM other: SHOW names databases without a dot."""
    if not stmt.opens("SHOW"):
        return None
    for tok in stmt.tokens:
        name = name_of(tok)
        if name is not None and _foreign(stmt, name):
            return f"SHOW ... {name}: another database"
    return None


def alter_database(stmt: Statement) -> str | None:
    if not (stmt.opens("ALTER", "DATABASE") or stmt.opens("ALTER", "SCHEMA")):
        return None
    tok = stmt.tokens[2] if len(stmt.tokens) > 2 else None
    if tok is None or stmt.keys[2] in DATABASE_OPTIONS:
        return None
    if name_of(tok) not in stmt.scope.own:
        return f"ALTER DATABASE {tok.text}: {DATABASES}"
    return None


def engines(stmt: Statement) -> str | None:
    """ENGINE=FEDERATED or CONNECT reaches other servers; only local engines are let through."""
    for n, k in enumerate(stmt.keys):
        if k != "ENGINE" or (n and stmt.keys[n - 1] == "SHOW"):
            continue
        m = n + 2 if n + 1 < len(stmt.keys) and stmt.keys[n + 1] == "=" else n + 1
        if m < len(stmt.tokens):
            name = (name_of(stmt.tokens[m]) or stmt.tokens[m].text).upper()
            if name not in ENGINES:
                return f"ENGINE {name}: only storage engines that keep to the scratch database"
    return None


def connection_strings(stmt: Statement) -> str | None:
    for n, k in enumerate(stmt.keys[:-1]):
        if k == "CONNECTION" and stmt.tokens[n + 1].kind == "string":
            return f"CONNECTION '...': {FOREIGN}"
    return None


def _foreign(stmt: Statement, name: str) -> bool:
    scope = stmt.scope
    return name not in scope.own and (name in scope.foreign or name.startswith(SCRATCH_PREFIX))


RULES = Rules(
    lexicon=LEXICON,
    alternate=PLAIN_STRINGS,
    heads=HEADS,
    noise=NOISE,
    phrases=PHRASES,
    names=NAMES,
    name_prefixes={},
    routines=ROUTINES,
    in_routines=IN_ROUTINES,
    wrappers=WRAPPERS,
    code_comments=("/*!", "/*M!", "/*+"),
    hooks=(prepared, immediate, set_scope, show_names, alter_database, engines, connection_strings),
)
