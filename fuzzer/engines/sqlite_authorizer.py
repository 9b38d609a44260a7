"""The statement guard of both SQLite engines: SQLite's own authorizer callback.

SQLite asks the authorizer about every action while it compiles a statement, so a lexical
check could be fooled where this cannot: an `ATTACH` inside a trigger, a pragma spelled in
any case or quoted, a table reached through a view. A denied action makes the statement fail
to compile, so nothing of it runs; the engine turns the denial into `Refused`.

What is denied is whatever reaches past the scratch database: another database file
(ATTACH, DETACH, VACUUM INTO, a schema other than `main` and `temp`), native code
(`load_extension`), and the pragmas that act on the process or on other files.
"""

from __future__ import annotations

import sqlite3

# The action codes are SQLite's, the same numbers for the stdlib module and for apsw.
_ATTACH = sqlite3.SQLITE_ATTACH
_DETACH = sqlite3.SQLITE_DETACH
_PRAGMA = sqlite3.SQLITE_PRAGMA
_FUNCTION = getattr(sqlite3, "SQLITE_FUNCTION", 31)
_OK, _DENY = sqlite3.SQLITE_OK, sqlite3.SQLITE_DENY
_SPECIAL = frozenset({_ATTACH, _DETACH, _PRAGMA, _FUNCTION})

SCHEMAS = frozenset({"main", "temp"})

#: SQLite's own VACUUM rebuilds the file in a private temporary database that it attaches as
#: `ATTACH ''` under the name `vacuum_db` (`vacuum_<hex>` in later releases), and the
#: authorizer sees its inner statements. Only `ATTACH ''` is ever allowed, so no such name
#: reaches a file.
VACUUM_SCHEMA = "vacuum_"

#: Pragmas allowed, from https://sqlite.org/pragma.html. An allow-list, because a pragma that a
#: later SQLite release adds must be read before it is allowed. Each one either only reports
#: on the scratch database or tunes this connection's handling of it. Left out on purpose:
#: temp_store_directory and data_store_directory (process-wide: they make SQLite write files
#: into any directory), writable_schema (a statement may then rewrite sqlite_schema, which
#: corrupts the file and bypasses the rules of CREATE), schema_version (writing it corrupts
#: the file), hard_heap_limit and soft_heap_limit (process-wide: they reach every other
#: connection), key/rekey/hexkey/hexrekey/textkey (encryption builds), lock_proxy_file (names
#: a file), and the debug pragmas parser_trace, vdbe_* and stats (they write to stdout or
#: expose internals). Writing application_id is denied (see READ_ONLY_PRAGMAS).
PRAGMAS = frozenset(
    {
        "analysis_limit",
        "application_id",
        "auto_vacuum",
        "automatic_index",
        "busy_timeout",
        "cache_size",
        "cache_spill",
        "case_sensitive_like",
        "cell_size_check",
        "checkpoint_fullfsync",
        "collation_list",
        "compile_options",
        "count_changes",
        "data_version",
        "database_list",
        "default_cache_size",
        "defer_foreign_keys",
        "empty_result_callbacks",
        "encoding",
        "foreign_key_check",
        "foreign_key_list",
        "foreign_keys",
        "freelist_count",
        "full_column_names",
        "fullfsync",
        "function_list",
        "ignore_check_constraints",
        "incremental_vacuum",
        "index_info",
        "index_list",
        "index_xinfo",
        "integrity_check",
        "journal_mode",
        "journal_size_limit",
        "legacy_alter_table",
        "legacy_file_format",
        "locking_mode",
        "max_page_count",
        "mmap_size",
        "module_list",
        "optimize",
        "page_count",
        "page_size",
        "pragma_list",
        "query_only",
        "quick_check",
        "read_uncommitted",
        "recursive_triggers",
        "reverse_unordered_selects",
        "secure_delete",
        "short_column_names",
        "shrink_memory",
        "synchronous",
        "table_info",
        "table_list",
        "table_xinfo",
        "temp_store",
        "threads",
        "trusted_schema",
        "user_version",
        "wal_autocheckpoint",
        "wal_checkpoint",
    }
)

#: Pragmas that may be read, not set: application_id is sqlparity's mark of its own files.
READ_ONLY_PRAGMAS = frozenset({"application_id"})

#: SQL functions denied: load_extension runs native code from any file.
FUNCTIONS = frozenset({"load_extension"})


class Authorizer:
    """The callback, with the reason of its last denial for the engine's `Refused`.

    The common case (a table or column of `main`) costs two set lookups: the callback runs
    for every column of every statement compiled. Even so it costs 11-22% of the time SQLite
    spends on generated SQL (bench/authorizer.py), so only guarded engines install it: fuzz
    run's workers, which run only generated SQL, do not.
    """

    __slots__ = ("denied",)

    def __init__(self) -> None:
        self.denied: str | None = None

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, schema: str | None, _: object
    ) -> int:
        if action in _SPECIAL:
            reason = self._special(action, arg1, arg2, schema)
        elif schema is None or schema in SCHEMAS or schema.startswith(VACUUM_SCHEMA):
            return _OK
        else:
            reason = f"schema {schema!r} is outside the scratch database"
        if reason is None:
            return _OK
        self.denied = reason
        return _DENY

    @staticmethod
    def _special(action: int, arg1: str | None, arg2: str | None, schema: str | None) -> str | None:
        if action == _ATTACH:
            # '' is a private temporary database, deleted on close: VACUUM attaches one.
            return None if arg1 == "" else "ATTACH opens another database file"
        if action == _DETACH:
            return "DETACH acts on another database"
        if action == _FUNCTION:
            name = (arg2 or "").lower()
            return f"function {name}() loads native code" if name in FUNCTIONS else None
        name = (arg1 or "").lower()
        if schema is not None and schema not in SCHEMAS:
            return f"PRAGMA {schema}.{name} names a schema outside the scratch database"
        if name not in PRAGMAS:
            return f"PRAGMA {name} may act outside the scratch database"
        if name in READ_ONLY_PRAGMAS and arg2 is not None:
            return f"PRAGMA {name} is sqlparity's mark of its files: read-only"
        return None
