-- bug: found by sqlparity (fuzz run, plancache), reduced by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: plancache (variant auto)
-- expected: the IN subquery is the rows 5, 2 and 10: the row 2 of t0 is kept, prepared or not
-- actual: prepared, an IN subquery that is a SELECT UNION ALL a table value constructor loses the constructor's rows, from the first execution on and with no parameter at all (PREPARE s FROM 'SELECT 1 WHERE 2 IN (SELECT 5 UNION ALL VALUES (2), (10))'; EXECUTE s returns no row); the same union as a derived table is right
CREATE TABLE t0 (c0 INT);
INSERT INTO t0 VALUES (2), (7);
SELECT c0 FROM t0 WHERE c0 IN (SELECT 5 UNION ALL VALUES (2), (10));
