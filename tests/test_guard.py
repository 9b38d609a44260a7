"""The statement guard as pure code: what it refuses on each server family, and what it must not.

Its attacks on the real servers are in test_server_guard.py; here the verdicts are a table, and
the generator's own output (with the oracles' probes built from it) must all be admitted.
"""

from __future__ import annotations

import pytest

from fuzzer.engines import Refused
from fuzzer.generator import Generator, Options
from fuzzer.guard import Guard, Scope
from fuzzer.guard.mysql import LEXICON as MYSQL_LEXICON
from fuzzer.guard.mysql import RULES as MYSQL
from fuzzer.guard.postgres import LEXICON as POSTGRES_LEXICON
from fuzzer.guard.postgres import RULES as POSTGRES
from fuzzer.script import tokens
from oracles import Context, names, oracle_class

CATALOGS = {"pg_catalog", "information_schema"}
#: database mode: the scratch database's own public schema is the scratch
PG_DATABASE = Guard(
    POSTGRES, Scope.of({"public", "sqlparity_1_a"}, {"pg_toast", "postgres", "app"}, CATALOGS)
)
#: schema mode: a scratch schema in the user's database, whose other schemas are the user's
PG_SCHEMA = Guard(
    POSTGRES, Scope.of({"sqlparity_1_a", "postgres"}, {"public", "pg_toast", "app"}, CATALOGS)
)
MY = Guard(
    MYSQL,
    Scope.of(
        {"sqlparity_1_a"},
        {"test", "mysql", "sys", "performance_schema", "sqlparity_2_b"},
        {"information_schema"},
    ),
)

ADMITTED = [
    (PG_DATABASE, "SELECT a1.c0 FROM t0 AS a1 WHERE a1.c0 > 1"),
    (PG_DATABASE, "DROP TABLE public.t0"),  # public is the scratch database's own
    (PG_DATABASE, "SELECT 1 # 2"),  # XOR in PostgreSQL, not a comment
    (PG_DATABASE, "SELECT relname FROM pg_catalog.pg_class"),
    (PG_DATABASE, "SET search_path = public, pg_catalog"),
    (PG_DATABASE, "CREATE EXTENSION pgcrypto"),
    (PG_DATABASE, "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
    (PG_DATABASE, "DO $$ BEGIN CREATE TABLE x (i int); INSERT INTO x VALUES (1); END $$"),
    (PG_DATABASE, "PREPARE p AS SELECT 1"),
    (PG_DATABASE, "SELECT 'it''s', E'\\n', $$x; y$$"),
    (PG_DATABASE, "UPDATE t0 SET c1 = 1 WHERE c2 = 'public.x'"),
    (PG_SCHEMA, "SET search_path TO sqlparity_1_a"),
    (PG_SCHEMA, "SELECT * FROM sqlparity_1_a.t0"),
    (MY, "SELECT a10.c0 FROM t1 AS a10"),
    (MY, "SELECT * FROM sqlparity_1_a.t1"),
    (MY, "SELECT table_name FROM information_schema.tables"),
    (MY, "CREATE TABLE t (i INT) ENGINE=InnoDB"),
    (MY, "PREPARE s FROM 'SELECT 1'"),
    (MY, "SELECT 1 -- INTO OUTFILE '/tmp/x'"),  # a comment: MySQL needs the space
    (MY, "SET SESSION sql_mode = 'ANSI'"),
    (MY, "ALTER DATABASE CHARACTER SET utf8mb4"),
    (MY, "SHOW TABLES"),
    (MY, "ANALYZE TABLE t1"),
    (MY, "CREATE VIEW v AS SELECT 1"),
]

REFUSED = [
    # another database or schema, by name
    (PG_SCHEMA, "DROP TABLE public.precious", "public."),
    (PG_SCHEMA, 'DROP TABLE "public"."precious"', "public."),
    (PG_SCHEMA, "SELECT * FROM postgres.public.precious", "public."),
    (PG_SCHEMA, "SELECT 'public.precious'::regclass", "in a string"),
    (PG_SCHEMA, "ALTER TABLE t SET SCHEMA public", "schema public"),
    (PG_SCHEMA, "SET search_path = public", "search_path public"),
    (PG_SCHEMA, "RESET search_path", "RESET search_path"),
    (PG_DATABASE, "CREATE SCHEMA app", "schema app"),
    (PG_DATABASE, "DELETE FROM pg_catalog.pg_class", "only a query"),
    (MY, "DROP TABLE test.precious", "test."),
    (MY, "DROP TABLE `test`.`precious`", "test."),
    (MY, "SELECT * FROM test . precious", "test."),
    (MY, "SELECT * FROM test.1precious", "test."),
    (MY, "SELECT * FROM sqlparity_2_b.t0", "sqlparity_2_b."),
    (MY, "SELECT * FROM mysql.user", "mysql."),
    (MY, "SHOW TABLES FROM test", "another database"),
    (MY, "USE test", "USE"),
    (MY, "ALTER DATABASE test CHARACTER SET latin1", "ALTER DATABASE test"),
    # database DDL, roles, privileges
    (PG_DATABASE, "CREATE DATABASE x", "CREATE DATABASE"),
    (PG_DATABASE, "DROP DATABASE postgres", "DROP DATABASE"),
    (PG_DATABASE, "CREATE ROLE x SUPERUSER", "CREATE ROLE"),
    (PG_DATABASE, "ALTER USER postgres PASSWORD 'x'", "ALTER USER"),
    (PG_DATABASE, "GRANT ALL ON t TO PUBLIC", "GRANT"),
    (PG_DATABASE, "REVOKE ALL ON t FROM PUBLIC", "REVOKE"),
    (PG_DATABASE, "ALTER TABLE t OWNER TO postgres", "OWNER TO"),
    (MY, "CREATE DATABASE x", "CREATE DATABASE"),
    (MY, "DROP SCHEMA test", "DROP SCHEMA"),
    (MY, "CREATE OR REPLACE USER x IDENTIFIED BY 'y'", "CREATE OR REPLACE USER"),
    (MY, "GRANT ALL ON *.* TO x", "GRANT"),
    (MY, "SET PASSWORD = 'x'", "SET PASSWORD"),
    # who the session is
    (PG_DATABASE, "SET ROLE postgres", "SET ROLE"),
    (PG_DATABASE, "SET LOCAL ROLE postgres", "SET LOCAL ROLE"),
    (PG_DATABASE, "RESET ROLE", "RESET ROLE"),
    (PG_DATABASE, "SET SESSION AUTHORIZATION postgres", "SET SESSION AUTHORIZATION"),
    (PG_DATABASE, "RESET ALL", "RESET ALL"),
    (PG_DATABASE, "DISCARD ALL", "DISCARD ALL"),
    (PG_DATABASE, 'SET "role" = postgres', "role"),
    (PG_DATABASE, "ALTER FUNCTION f() SET role = postgres", "SET role"),
    (PG_DATABASE, "SELECT set_config('role', 'postgres', false)", "set_config"),
    (MY, "SET ROLE ALL", "SET ROLE"),
    # the whole server
    (PG_DATABASE, "ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM"),
    (PG_DATABASE, "SELECT pg_terminate_backend(1)", "pg_terminate_backend"),
    (PG_DATABASE, "SELECT pg_catalog.pg_reload_conf()", "pg_reload_conf"),
    (PG_DATABASE, "LOAD 'plpython3'", "LOAD"),
    (PG_DATABASE, "CREATE EXTENSION dblink", "dblink"),
    (PG_DATABASE, "CREATE EXTENSION adminpack", "CREATE EXTENSION adminpack"),
    (PG_DATABASE, "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw", "CREATE SERVER"),
    (PG_DATABASE, "CREATE FOREIGN TABLE f (i int) SERVER s", "CREATE FOREIGN"),
    (PG_DATABASE, "CREATE USER MAPPING FOR CURRENT_USER SERVER s", "CREATE USER"),
    (PG_DATABASE, "SELECT dblink_exec('host=x', 'DROP TABLE t')", "dblink_exec"),
    (PG_DATABASE, "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", "CREATE SUBSCRIPTION"),
    (MY, "SET GLOBAL max_connections = 1", "SET GLOBAL"),
    (MY, "SET PERSIST max_connections = 1", "SET PERSIST"),
    (MY, "SET @@global.max_connections = 1", "@@GLOBAL"),
    (MY, "SET sql_mode = '', GLOBAL max_connections = 1", "SET GLOBAL"),
    (MY, "SHUTDOWN", "SHUTDOWN"),
    (MY, "KILL 1", "KILL"),
    (MY, "FLUSH PRIVILEGES", "FLUSH"),
    (MY, "INSTALL PLUGIN x SONAME 'x.so'", "INSTALL"),
    (MY, "UNINSTALL PLUGIN x", "UNINSTALL"),
    (MY, "CHANGE MASTER TO MASTER_HOST = 'x'", "CHANGE"),
    (MY, "START SLAVE", "START SLAVE"),
    (MY, "PURGE BINARY LOGS BEFORE NOW()", "PURGE"),
    (MY, "CREATE FUNCTION f RETURNS STRING SONAME 'x.so'", "SONAME"),
    (MY, "CREATE EVENT e ON SCHEDULE EVERY 1 SECOND DO DELETE FROM t", "CREATE EVENT"),
    (MY, "CREATE TABLE t (i INT) ENGINE=FEDERATED CONNECTION='mysql://x/y/z'", "CONNECTION"),
    (MY, "CREATE TABLE t (i INT) ENGINE=FEDERATED", "FEDERATED"),
    (MY, "CREATE TABLE t (i INT) ENGINE CONNECT", "CONNECT"),
    (MY, "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'x')", "CREATE SERVER"),
    # files and programs
    (PG_DATABASE, "COPY t TO '/tmp/x'", "COPY TO"),
    (PG_DATABASE, "COPY t FROM STDIN", "needs a client"),
    (PG_DATABASE, "COPY t FROM PROGRAM 'id'", "FROM PROGRAM"),
    (PG_DATABASE, "COPY (SELECT 1 FROM t) TO PROGRAM 'id'", "TO PROGRAM"),
    (PG_DATABASE, "SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    (PG_DATABASE, "SELECT * FROM pg_ls_dir('.')", "pg_ls_dir"),
    (PG_DATABASE, "SELECT lo_import('/etc/passwd')", "lo_import"),
    (PG_DATABASE, "SELECT lo_export(1, '/tmp/x')", "lo_export"),
    (MY, "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", "LOAD"),
    (MY, "LOAD XML INFILE '/x' INTO TABLE t", "LOAD"),
    (MY, "SELECT * FROM t INTO OUTFILE '/tmp/x'", "INTO OUTFILE"),
    (MY, "SELECT 1 INTO DUMPFILE '/tmp/x'", "INTO DUMPFILE"),
    (MY, "SELECT LOAD_FILE('/etc/passwd')", "load_file"),
    (MY, "CREATE TABLE t (i INT) DATA DIRECTORY = '/tmp'", "DATA DIRECTORY"),
    (MY, "CREATE TABLE t (i INT) INDEX DIRECTORY = '/tmp'", "INDEX DIRECTORY"),
    # text the guard cannot see as statements
    (PG_DATABASE, "SELECT '\\'; DROP TABLE t; --'", "read differently"),
    (PG_DATABASE, "SELECT 1; DROP TABLE t", "more than one statement"),
    (PG_DATABASE, "SELECT 1 /* /* */ ; DROP DATABASE x; /* */ */ ; SELECT 2", "more than one"),
    (PG_DATABASE, 'SELECT * FROM U&"p\\0075blic".t', "U& escapes"),
    (PG_DATABASE, "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", "EXECUTE in routine code"),
    (PG_DATABASE, "DO $$ BEGIN DROP DATABASE x; END $$", "in its body: DROP DATABASE"),
    (PG_DATABASE, "DO 'BEGIN PERFORM pg_read_file(''/etc/passwd''); END'", "pg_read_file"),
    (PG_DATABASE, "DO LANGUAGE plpython3u $$ import os $$", "LANGUAGE plpython3u"),
    (
        PG_DATABASE,
        "CREATE FUNCTION f() RETURNS void AS $b$ BEGIN SET ROLE postgres; END $b$ LANGUAGE plpgsql",
        "SET ROLE",
    ),
    (PG_DATABASE, "CREATE FUNCTION f() RETURNS text LANGUAGE c AS 'x.so', 'f'", "LANGUAGE c"),
    (PG_DATABASE, "SELECT query_to_xml('DROP TABLE t', true, true, '')", "query_to_xml"),
    (PG_DATABASE, "PREPARE p AS DROP DATABASE x", "DROP DATABASE"),
    (PG_DATABASE, "EXPLAIN ANALYZE CREATE ROLE x", "CREATE ROLE"),
    (MY, "SELECT 1 --1 INTO OUTFILE '/tmp/x'", "INTO OUTFILE"),  # 1 - -1, then INTO OUTFILE
    (MY, "SELECT '\\' INTO OUTFILE '/tmp/x' -- '", "read differently"),
    (MY, "/*!50000 DROP DATABASE test */", "as code"),
    (MY, "SELECT 1 /*M! INTO OUTFILE '/tmp/x' */", "as code"),
    (MY, "PREPARE s FROM 'DROP DATABASE test'", "DROP DATABASE"),
    (MY, "PREPARE s FROM 'SELECT * FROM test.precious'", "test."),
    (MY, "PREPARE s FROM @q", "PREPARE from anything but a string literal"),
    (MY, "EXECUTE IMMEDIATE 'DROP TABLE test.t'", "test."),
    (MY, "EXECUTE IMMEDIATE CONCAT('DROP ', 'DATABASE test')", "EXECUTE IMMEDIATE of"),
    (MY, "SET STATEMENT max_statement_time = 1 FOR DROP DATABASE test", "DROP DATABASE"),
    (MY, "CREATE PROCEDURE p() DROP DATABASE test", "DROP DATABASE"),
    (MY, "CREATE PROCEDURE p() BEGIN PREPARE s FROM @q", "PREPARE in routine code"),
    (MY, "CREATE DEFINER = root@localhost VIEW v AS SELECT 1", "DEFINER="),
    (MY, "SET NAMES gbk", "SET NAMES"),
]


@pytest.mark.parametrize(("guard", "sql"), ADMITTED, ids=[s for _, s in ADMITTED])
def test_statements_inside_the_scratch_are_admitted(guard: Guard, sql: str):
    assert guard.verdict(sql) is None
    guard.admit(sql)


@pytest.mark.parametrize(("guard", "sql", "why"), REFUSED, ids=[s for _, s, _ in REFUSED])
def test_statements_that_reach_past_the_scratch_are_refused_with_a_reason(
    guard: Guard, sql: str, why: str
):
    with pytest.raises(Refused) as info:
        guard.admit(sql)
    assert why in info.value.reason, info.value.reason
    message = str(info.value)
    assert "\n" not in message and message.startswith("refused to run `")


def test_the_guard_reads_strings_and_comments_as_the_server_does():
    # PostgreSQL: no backslash escapes in '...', nested comments, # is an operator.
    assert [t.text for t in tokens("SELECT '\\' x", POSTGRES_LEXICON)] == ["SELECT", "'\\'", "x"]
    assert [t.kind for t in tokens("/* /* */ x */ y", POSTGRES_LEXICON)] == ["word"]
    assert [t.text for t in tokens("1 # 2", POSTGRES_LEXICON)] == ["1", "#", "2"]
    # MySQL: backslash escapes, `--` a comment only before a space, names may start with digits.
    assert [t.text for t in tokens("'\\'' x", MYSQL_LEXICON)] == ["'\\''", "x"]
    assert [t.text for t in tokens("1--1", MYSQL_LEXICON)] == ["1", "-", "-", "1"]
    assert [t.text for t in tokens("1 -- c", MYSQL_LEXICON)] == ["1"]
    assert [t.text for t in tokens("t.1x", MYSQL_LEXICON)] == ["t", ".", "1x"]


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_everything_sqlparity_generates_is_admitted(dialect: str):
    guard = {"postgres": PG_DATABASE, "mysql": MY}[dialect]
    checked = 0
    for seed in range(40):
        for options in (Options(), Options(deterministic=True), Options(portable=True)):
            g = Generator(dialect, seed, options)
            builders = [oracle_class(n)(Context(dialect, dialect)).from_text for n in names()]
            statements = [g.render(s) for s in g.database()]
            queries = [g.render(g.query()) for _ in range(8)]
            probes = [q for query in queries for b in builders for p in b(query) for q in p.queries]
            for sql in statements + queries + probes:
                assert guard.verdict(sql) is None, sql
                checked += 1
    assert checked > 2000
