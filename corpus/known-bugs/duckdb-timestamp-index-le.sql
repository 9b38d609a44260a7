-- bug: https://github.com/duckdb/duckdb/issues/16074
-- engine: duckdb 1.2.0
-- fixed-in: duckdb 1.2.1          (verified; 1.1.3 is not affected; also correct on 2.0.0)
-- oracle: tlp (variant where), norec
-- expected: 1 row (1969-12-09 09:26:38)
-- actual: 3 rows (the index scan ignores the bound); TLP 3+2+0 = 5 against 3 unfiltered rows; NoREC COUNT(*) WHERE p = 3 vs SUM(CASE ...) = 1
CREATE TABLE t0(c1 TIMESTAMP);
INSERT INTO t0(c1) VALUES ('2020-02-29 12:00:00'), ('1969-12-09 09:26:38'), ('2020-02-29 12:00:00');
CREATE INDEX i0 ON t0(c1);
SELECT t0.c1 FROM t0 WHERE ((t0.c1) <= ('2007-07-07 07:07:07'));
