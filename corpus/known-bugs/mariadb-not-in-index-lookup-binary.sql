-- bug: https://jira.mariadb.org/browse/MDEV-36389  (open; fix proposed in https://github.com/MariaDB/server/pull/4344)
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known (open)
-- oracle: tlp (variant where)
-- expected: 1 row (-9.183): the string '-9.183' compares as a double with the stored FLOAT (-9.18299961...), so NOT IN is TRUE; with IGNORE INDEX the row comes back
-- actual: 0 rows for WHERE p, for WHERE NOT (p) and for WHERE (p) IS NULL: the IN subquery becomes an index lookup and its pushed condition is dropped; TLP 0+0+0 against 1 unfiltered row
CREATE TABLE t1 (c1 FLOAT, KEY i1 (c1));
INSERT INTO t1(c1) VALUES (-9.183);
SELECT t1.c1 FROM t1 WHERE (BINARY t1.c1) NOT IN (SELECT t1.c1 FROM t1);
