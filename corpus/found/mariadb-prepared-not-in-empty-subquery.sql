-- bug: found by sqlparity (fuzz run, plancache), reduced by hand; not yet reported upstream (the class of MDEV-30073 and MDEV-19269: a subquery's state left from an earlier execution of a prepared statement)
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: plancache (variant auto)
-- expected: executed with 0 and 0, the prepared statement's subquery is empty, NULL NOT IN (empty) is TRUE: the row with g1 NULL is kept, as the literal query keeps it (a, c, NULL)
-- actual: after a first execution with 5 and 10, when the subquery had rows (NULL NOT IN (5, 5) is NULL), the second execution still drops the NULL row (a, c): the emptiness of the subquery is the first execution's
CREATE TABLE t0 (c1 VARCHAR(16), g1 INT);
INSERT INTO t0 VALUES (NULL, NULL), ('c', 0), ('a', 0);
SELECT c1 FROM t0 WHERE g1 NOT IN (SELECT x.g1 + 5 FROM t0 AS x WHERE x.g1 < 10);
