-- bug: https://github.com/duckdb/duckdb/issues/9806
-- engine: duckdb 0.9.2
-- fixed-in: duckdb 0.10.0         (verified; also correct on 2.0.0)
-- oracle: tlp (variant where), norec
-- expected: 1 row (1); (2147483647 + 1 IS NOT NULL) is TRUE, and 1 >= TRUE holds
-- actual: 0 rows; TLP partitions 0+0+0 against 1 unfiltered row; NoREC COUNT(*) WHERE p = 0 but SUM(CASE WHEN p ...) = 1
CREATE TABLE t0(c0 INT);
INSERT INTO t0 VALUES (1);
SELECT t0.c0 FROM t0 WHERE t0.c0 >= (2147483647 + 1 IS NOT NULL);
