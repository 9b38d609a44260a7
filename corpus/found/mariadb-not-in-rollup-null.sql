-- bug: found by sqlparity (fuzz run --oracle codd), reduced by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: codd
-- expected: no rows: the subquery returns 1, 2 and the ROLLUP row's NULL, so 3 NOT IN (...) is NULL, as 3 NOT IN (1, 2, NULL) is
-- actual: 2 rows: NOT IN over a WITH ROLLUP subquery ignores the super-aggregate row's NULL
CREATE TABLE t0 (c0 INT);
INSERT INTO t0 VALUES (1), (2);
SELECT c0 FROM t0 WHERE 3 NOT IN (SELECT c0 FROM t0 GROUP BY c0 WITH ROLLUP);
