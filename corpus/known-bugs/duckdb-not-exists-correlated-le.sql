-- bug: https://github.com/duckdb/duckdb/issues/9308
-- engine: duckdb 0.9.1            (also 0.6.1, 0.7.x, 0.8.x)
-- fixed-in: duckdb 0.9.2          (verified; also correct on 2.0.0)
-- oracle: tlp (variant where), norec
-- expected: 1 row (1); t2 is empty, so NOT EXISTS (...) is TRUE
-- actual: 0 rows; TLP partitions 0+0+0 against 1 unfiltered row; NoREC COUNT(*) WHERE p = 0 but SUM(CASE WHEN p ...) = 1
CREATE TABLE t1(c1 BIGINT);
INSERT INTO t1 VALUES (1);
CREATE TABLE t2(c1 BIGINT);
SELECT t1.c1 FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t2 WHERE t1.c1 <= t2.c1);
