-- bug: https://github.com/duckdb/duckdb/issues/6804
-- engine: duckdb 0.7.1            (also 0.6.1, 0.7.0)
-- fixed-in: duckdb 0.8.0          (verified; also correct on 2.0.0)
-- oracle: tlp (variant where)     (NoREC does not flag: the projected predicate is wrong too)
-- expected: 1 row (1); p is TRUE for the only row, because 1 + (-2134619525) <> 2060771621
-- actual: 0 rows; and the TLP partitions WHERE p / WHERE NOT (p) / WHERE (p) IS NULL give 0+0+0 rows against 1 row with no WHERE
CREATE TABLE t0(c0 SMALLINT);
INSERT INTO t0(c0) VALUES (1);
SELECT t0.c0 FROM t0 WHERE (NOT ((2060771621) = ((t0.c0) + (-2134619525))));
