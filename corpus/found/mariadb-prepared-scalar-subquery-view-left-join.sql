-- bug: found by sqlparity (fuzz run, plancache), reduced by fuzz reduce and by hand; not yet reported upstream (the class of MDEV-30073: a wrong result from the second execution of a prepared statement)
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: plancache (variant auto)
-- expected: t1 LEFT JOIN v6 ON 0 is one row whose c3 is NULL: the scalar subquery is NULL, the WHERE keeps no row, at every execution
-- actual: the first execution of the prepared statement returns no row, the second and every later one the row 0: the subquery's c3 is 1, the view's (c3 * 1) over the empty t0 no longer NULL-complemented (no parameter is needed: PREPARE of the literal query shows it)
CREATE TABLE t0 (c5 BIT);
CREATE TABLE t1 (c6 SMALLINT);
INSERT INTO t1 VALUES (0);
CREATE VIEW v6 AS SELECT (c3 * 1) AS c3 FROM (SELECT 1 AS c3 FROM t0) AS a1;
SELECT 0 WHERE (SELECT c3 FROM t1 LEFT JOIN v6 ON 0 WHERE 1 = 1);
