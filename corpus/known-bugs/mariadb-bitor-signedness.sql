-- bug: https://jira.mariadb.org/browse/MDEV-39445  (open; reported against 11.8.5)
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known (open)
-- oracle: norec                   (TLP does not flag: WHERE p and WHERE NOT (p) are consistent with each other)
-- expected: the WHERE clause and the projected predicate agree. As a projection p is 0 for both rows
--           ((-TRUE) | 0 is the unsigned 18446744073709551615), which gives 0 rows; the reporter argues for 1 row
-- actual: WHERE p returns 1 row (1300539435) while SELECT p FROM t0 gives 0 for both rows:
--         NoREC COUNT(*) WHERE p = 1 vs SUM(CASE WHEN p THEN 1 ELSE 0 END) = 0
DROP TABLE IF EXISTS t0;
CREATE TABLE t0(c0 REAL SIGNED UNIQUE NOT NULL) ENGINE=MyISAM;
INSERT INTO t0 VALUES (-1698810807);
INSERT INTO t0 VALUES (1300539435);
SELECT t0.c0 FROM t0 WHERE (+ (((- true) | (t0.c0 IS NULL)) < t0.c0));
