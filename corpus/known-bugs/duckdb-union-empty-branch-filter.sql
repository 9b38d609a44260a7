-- bug: https://github.com/duckdb/duckdb/issues/11163  (same cause as https://github.com/duckdb/duckdb/issues/11294)
-- engine: duckdb 0.10.0            (also 0.10.1; 0.9.2 is not affected)
-- fixed-in: duckdb 0.10.2          (verified; also correct on 2.0.1)
-- oracle: tlp (variant where), norec, dqp
-- expected: 1 row (1); UNION removes the duplicate 1 before the filter
-- actual: 2 rows (1, 1): the filter pushed into the UNION empties its second branch, and the UNION (with its DISTINCT) is dropped with it; TLP 2+1+0 against 2 unfiltered rows
CREATE TABLE t0(c0 INT);
INSERT INTO t0 VALUES (1), (1);
SELECT s.a FROM (SELECT 1 FROM t0 UNION SELECT 2) AS s(a) WHERE s.a = 1;
