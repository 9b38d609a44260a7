-- bug: found by sqlparity (fuzz run --seed 707, TLP), reduced by fuzz reduce; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: tlp (variant where)
-- expected: 1 row for WHERE c1 IS NULL: the derived table never matches (ON 0), so c1 is NULL, as SELECT c1 shows
-- actual: no rows: the outer-joined constant INSTR('', '') is taken for its value, never NULL
CREATE TABLE t1 (c5 BLOB);
CREATE TABLE t2 (c7 SMALLINT);
INSERT INTO t1 VALUES (X'');
INSERT INTO t2 VALUES (0);
CREATE VIEW v3 AS SELECT 0 FROM t1 CROSS JOIN t2 GROUP BY c5;
SELECT 0 FROM v3 LEFT JOIN (SELECT INSTR('', '') AS c1 FROM v3) a8 ON 0 WHERE c1;
