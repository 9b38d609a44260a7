-- bug: https://github.com/duckdb/duckdb/issues/17417
-- engine: duckdb 1.2.0            (also every release checked from 0.10.0 to 1.3.1; 0.9.2 is not affected)
-- fixed-in: duckdb 1.3.2          (verified; also correct on 2.0.1)
-- oracle: dqp                     (disabled_optimizers: the correct 1 row; TLP and NoREC do not flag: the unfiltered query is empty too)
-- expected: 1 row (5): t2 is empty, so the ANTI JOIN keeps every row of t0 (as NOT EXISTS (SELECT 1 FROM t2 WHERE t2.c0 >= t0.c0) does)
-- actual: 0 rows: the ANTI JOIN with an inequality on an empty table is planned as an empty result
CREATE TABLE t0(c0 INT);
CREATE TABLE t2(c0 INT);
INSERT INTO t0(c0) VALUES (5);
SELECT t0.c0 FROM t0 ANTI JOIN t2 ON ((t2.c0) >= (t0.c0)) WHERE (t0.c0 > 0);
