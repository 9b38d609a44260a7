-- bug: https://github.com/duckdb/duckdb/issues/16803
-- engine: duckdb 1.2.0            (also every release checked from 0.10.0 to 1.2.2; 0.9.2 is not affected)
-- fixed-in: duckdb 1.3.0          (verified; also correct on 2.0.1)
-- oracle: tlp (variant where), norec, dqp
-- expected: 1 row (NULL): t0.c0 != NULL is NULL for the only row of t0, so the subquery is empty and NOT EXISTS is TRUE
-- actual: 0 rows: the anti join treats the NULL comparison as a match
CREATE TABLE t0(c0 VARCHAR);
CREATE TABLE t1(c0 VARCHAR);
INSERT INTO t1(c0) VALUES (NULL);
INSERT INTO t0(c0) VALUES (1);
SELECT t1.c0 FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t0 WHERE ((t0.c0) != (t1.c0)));
