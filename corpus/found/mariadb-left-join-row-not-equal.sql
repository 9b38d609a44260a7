-- bug: found by sqlparity (fuzz run, NoREC, on a row comparison over a NATURAL RIGHT JOIN of views), reduced by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: tlp (variant where), norec
-- expected: 1 row: y.c1 is NULL on the NULL-extended side, but (NULL, 8) <> ('x', 10) is TRUE because 8 <> 10, as SELECT and SUM(CASE ...) show
-- actual: COUNT(*) ... WHERE (y.c1, 8) <> ('x', 10) = 0: the row comparison is taken as rejecting NULLs, so the LEFT JOIN becomes an inner join
CREATE TABLE t0 (c1 CHAR(1));
INSERT INTO t0 VALUES (NULL);
SELECT x.c1 FROM t0 AS x LEFT JOIN t0 AS y ON x.c1 = y.c1 WHERE ((y.c1, 8) <> ('x', 10));
