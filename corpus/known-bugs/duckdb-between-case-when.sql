-- bug: https://github.com/duckdb/duckdb/issues/15602
-- engine: duckdb 1.1.0            (also every release checked from 0.10.0 to 1.1.3; 0.9.2 is not affected)
-- fixed-in: duckdb 1.2.0          (verified; also correct on 2.0.1)
-- oracle: tlp (variant where), norec, dqp
-- expected: 0 rows; CASE c0 WHEN c0 THEN c0 END is -1, and -1 BETWEEN 1 AND -1 is FALSE
-- actual: 1 row (-1): as a projection the predicate is FALSE, in WHERE it keeps the row
CREATE TABLE t0(c0 INT);
INSERT INTO t0(c0) VALUES (-1);
SELECT t0.c0 FROM t0 WHERE (((CASE t0.c0 WHEN t0.c0 THEN t0.c0 END) BETWEEN 1 AND t0.c0) AND (t0.c0 <= 0));
