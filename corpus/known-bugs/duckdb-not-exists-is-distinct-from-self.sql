-- bug: https://github.com/duckdb/duckdb/issues/19680
-- engine: duckdb 1.2.0            (also every release checked from 0.9.0 to 1.4.3; 0.8.1 and older reject the query: "Unimplemented comparison type for join")
-- fixed-in: duckdb 1.5.0          (verified; also correct on 2.0.1)
-- oracle: tlp (variant where), norec, dqp
-- expected: 0 rows; for each outer row the derived table holds a row (NULL or 1) distinct from it, so EXISTS is TRUE and NOT EXISTS FALSE
-- actual: 1 row (1) on 0.9.0 to 1.2.2, 2 rows (1, NULL) on 1.3.0 to 1.4.3: the correlated IS DISTINCT FROM is decorrelated into a join that loses the NULL row
CREATE TABLE t0(c2 INT);
INSERT INTO t0(c2) VALUES (NULL);
INSERT INTO t0(c2) VALUES (1);
SELECT t0.c2 FROM t0 WHERE NOT EXISTS (SELECT 1 FROM (SELECT t0.c2 AS col0 FROM t0) AS subQuery WHERE ((t0.c2) IS DISTINCT FROM (subQuery.col0)));
