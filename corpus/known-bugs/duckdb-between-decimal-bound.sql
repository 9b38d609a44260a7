-- bug: https://github.com/duckdb/duckdb/issues/9825
-- engine: duckdb 0.9.2            (0.9.1 and 0.10.0 are not affected)
-- fixed-in: duckdb 0.10.0         (verified; also correct on 2.0.1)
-- oracle: tlp (variant where), norec, dqp
-- expected: 1 row (5); 5 BETWEEN 3.1 AND 5 is TRUE (the projected predicate says FALSE, TRUE)
-- actual: 0 rows: the BETWEEN with a decimal lower bound on an INT column loses the row in WHERE
CREATE TABLE t0(c1 INT);
INSERT INTO t0(c1) VALUES (-1);
INSERT INTO t0(c1) VALUES (5);
SELECT t0.c1 FROM t0 WHERE (t0.c1 BETWEEN 3.1 AND t0.c1);
