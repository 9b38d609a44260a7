-- bug: found by sqlparity (fuzz run, plancache), reduced by fuzz reduce; not yet reported upstream (the class of MDEV-30073: a wrong result from the second execution of a prepared statement)
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: plancache (variant auto)
-- expected: v5 keeps the one row of t1 whose c3 is NULL (0 IN (SELECT 0 WHERE c3 IS NULL)); every execution of the prepared statement returns that one row, as the literal query does
-- actual: the first execution returns one row, the second and every later one two: the view's correlated IN subquery no longer filters (the same query on t1 directly, prepared, stays right; no parameter is needed: PREPARE of the literal query shows it)
CREATE TABLE t1 (c3 SMALLINT);
INSERT INTO t1 VALUES (NULL), (0);
CREATE VIEW v5 AS SELECT 0 AS c FROM t1 WHERE (0 IN (SELECT 0 WHERE c3 IS NULL));
SELECT c FROM v5 WHERE 0 >= 0;
