-- bug: found by sqlparity (tests/test_clauses.py, TLP group-by over WITH ROLLUP), reduced by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: tlp (variant group-by)
-- expected: the super-aggregate rows hold NULL in c1, as `c1 IS NULL` (1) and `c1 + 0` (NULL) on those rows say: (1, b'0'), (1, NULL), (2, b'1'), (2, NULL), (NULL, NULL)
-- actual: the BIT column's value in a ROLLUP row is the last group's, not NULL: (1, b'0'), (1, b'0'), (2, b'1'), (2, b'1'), (NULL, b'1'); so the partition c0 = 1 ends in (NULL, b'0'), which the whole query has not
CREATE TABLE t0 (c0 INT, c1 BIT(1));
INSERT INTO t0 VALUES (1, 0), (2, 1);
SELECT c0, c1 FROM t0 WHERE c0 = 1 GROUP BY c0, c1 WITH ROLLUP;
