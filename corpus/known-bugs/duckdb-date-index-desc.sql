-- bug: https://github.com/duckdb/duckdb/issues/13842
-- engine: duckdb 1.1.0
-- fixed-in: duckdb 1.1.1          (verified; 1.0.0 is not affected; also correct on 2.0.0)
-- oracle: tlp (variant where), norec
-- expected: 3 rows (1970-01-02, 1970-01-02, 1970-01-03); the predicate is TRUE for every row
-- actual: 2 rows (the row inserted after CREATE INDEX is lost); TLP 2+0+0 against 3; NoREC COUNT(*) WHERE p = 2 vs SUM(CASE ...) = 3
CREATE TABLE t0(c0 DATE);
INSERT INTO t0(c0) VALUES ('1970-01-02');
INSERT INTO t0(c0) VALUES ('1970-01-02');
CREATE INDEX t0i0 ON t0(c0 DESC);
INSERT INTO t0(c0) VALUES ('1970-01-03');
SELECT t0.c0 FROM t0 WHERE ('1970-01-03' >= t0.c0);
