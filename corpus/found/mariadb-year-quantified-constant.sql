-- bug: found by sqlparity (fuzz run, NoREC), reduced by fuzz reduce; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: norec (variant count)
-- expected: t3.c7 holds the YEAR 2001 (1 stored into YEAR); 1 >= SOME (SELECT c7 FROM t3) is the same truth value in WHERE as in SUM(CASE WHEN ...), which counts 1 row
-- actual: WHERE 1 >= SOME (...) keeps no row, while SUM(CASE WHEN 1 >= SOME (...) THEN 1 ELSE 0 END) counts 1: the constant 1 is read as the YEAR 2001 in one evaluation and as the integer 1 in the other (1 >= (SELECT c7 FROM t3) gives 0)
CREATE TABLE t2 (c7 SMALLINT);
CREATE TABLE t3 (c7 YEAR);
INSERT INTO t2 VALUES (0);
INSERT INTO t3 VALUES (1);
SELECT * FROM t2 WHERE 1 >= SOME (SELECT c7 FROM t3);
