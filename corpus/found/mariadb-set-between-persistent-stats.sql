-- bug: found by sqlparity (fuzz run --seed 3, NoREC), reduced by fuzz reduce; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: norec
-- expected: 1 row: 'a,b' BETWEEN 'a,b' AND 'b' is TRUE, as the select list and the same WHERE before ANALYZE show
-- actual: COUNT(*) ... WHERE c1 BETWEEN 'a,b' AND 'b' = 0 once engine-independent statistics on the SET column exist
CREATE TABLE t1 (c1 SET('a', 'b'));
INSERT INTO t1 VALUES ('a,b');
ANALYZE TABLE t1 PERSISTENT FOR COLUMNS (c1) INDEXES ALL;
SELECT c1 FROM t1 WHERE c1 BETWEEN 'a,b' AND 'b';
