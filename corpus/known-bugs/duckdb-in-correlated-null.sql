-- bug: https://github.com/duckdb/duckdb/issues/14232
-- engine: duckdb 1.1.0            (also 0.6.1 to 1.1.1)
-- fixed-in: duckdb 1.1.2          (verified; also correct on 2.0.1)
-- oracle: tlp (variant where), norec, dqp
-- expected: 2 rows (t1b 8, t1c 8); for t1e the left operand t1c is NULL, so NULL IN (...) is NULL, not TRUE
-- actual: 3 rows: the correlated IN subquery also returns (t1e, 10)
CREATE TABLE t1(t1a TEXT, t1b SMALLINT, t1c INTEGER);
INSERT INTO t1 VALUES ('t1b', 8, 16), ('t1c', 8, 16), ('t1d', NULL, 16), ('t1e', 10, NULL), ('t1a', 6, 8);
CREATE TABLE t2(t2a TEXT, t2b SMALLINT, t2c INTEGER);
INSERT INTO t2 VALUES ('t1b', 10, 12), ('t1b', 8, 16), ('t1c', 12, 16), ('t1e', 8, NULL), ('t1f', 19, NULL), ('t1b', NULL, 16);
SELECT t1.t1a, t1.t1b FROM t1 WHERE t1.t1c IN (SELECT t2.t2c FROM t2 WHERE t1.t1a = t2.t2a);
