-- bug: https://github.com/duckdb/duckdb/issues/20086
-- engine: duckdb 1.3.0            (also 1.4.0 and 1.4.3; 1.2.2 is not affected)
-- fixed-in: duckdb 1.4.4          (verified; also correct on 1.5.0 and 2.0.1)
-- oracle: tlp (variant where), dqp   (NoREC does not flag: the projected predicate sees the original values)
-- expected: 2 rows (0, 1, NULL) and (NULL, -1, NULL): t0.c1 is NULL in both rows, so (t1.c0 > t0.c1) IS NULL is TRUE for both, and the filter must not change the values
-- actual: 2 rows (NULL, 1, NULL) and (NULL, -1, NULL): evaluating the rewritten filter writes a NULL into t1.c0 of the first row (the unique index on t0 is needed)
CREATE TABLE t0(c0 INT, c1 INT);
CREATE TABLE t1(c0 INT);
INSERT INTO t1(c0) VALUES (0);
CREATE UNIQUE INDEX t0i0 ON t0 (c0, c1);
INSERT INTO t0(c0, c1) VALUES (1, 0), (-1, NULL);
UPDATE t0 SET c1 = NULL;
SELECT t1.c0, t0.c0, t0.c1 FROM t1 POSITIONAL JOIN t0 WHERE ((t1.c0 > t0.c1) IS NULL);
