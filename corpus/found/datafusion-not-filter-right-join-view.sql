-- bug: found by sqlparity (fuzz run -t datafusion: --oracle tlp, variant where; finding 9), reduced by fuzz reduce; not yet reported upstream
-- engine: datafusion 55.0.0        (PyPI datafusion==55.0.0, the newest release on PyPI on 2026-12-03: still has it)
-- fixed-in: none known
-- oracle: tlp (variant where)
-- expected: no row: the one joined row has a2 NULL-extended, so p = (NULL AND NULL) OR (1 = 0) is NULL and NOT p is NULL too (SELECT NOT p shows NULL)
-- actual: one row through the view v1; with t0 in place of v1 the same query returns none
CREATE TABLE t0 (c4 BIGINT);
CREATE TABLE t1 (c0 INTEGER NULL, c7 SMALLINT);
INSERT INTO t0 VALUES (1);
CREATE VIEW v1 AS SELECT c4 AS c0 FROM t0;
SELECT 0 FROM t1 a2 RIGHT JOIN v1 a3 ON c7 = a3.c0 WHERE NOT (NULL AND a2.c0 < a3.c0 OR a3.c0 = 0);
