-- bug: https://github.com/sqlite/sqlite/blob/master/test/joinH.test (regression test joinH-11.3; the forum report behind it was not located)
-- engine: sqlite 3.44.0 via apsw==3.44.0.0   (also 3.43.0, 3.43.1, 3.43.2; 3.42.0 is not affected)
-- fixed-in: sqlite 3.44.2 via apsw==3.44.2.0 (verified; 3.44.1 has no apsw wheel; also correct on 3.45.0 and 3.54.1)
-- oracle: tlp (variant where), norec, dqp (PRAGMA automatic_index = off: the correct 0 rows)
-- expected: 0 rows; t2.c=10 never matches, so the RIGHT JOIN yields one row with t1.a NULL, and NULL=1 is not TRUE
-- actual: 1 row (1, 1, NULL, NULL, 3, 3); TLP 1+0+1 = 2 against 1 unfiltered row; NoREC COUNT(*) WHERE p = 1 vs SUM(CASE ...) = 0
CREATE TABLE t1(a, b);
CREATE TABLE t2(c, d);
CREATE TABLE t3(e, f);
INSERT INTO t1 VALUES(1, 1);
INSERT INTO t2 VALUES(2, 2);
INSERT INTO t3 VALUES(3, 3);
SELECT * FROM t1 LEFT JOIN t2 RIGHT JOIN t3 ON (t2.c=10) WHERE t1.a=1;
