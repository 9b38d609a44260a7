-- bug: https://github.com/sqlite/sqlite/blob/master/test/joinH.test (regression tests joinH-4.1 to 4.4: an index on the expression (d IS NULL) of a WITHOUT ROWID table on the left of a RIGHT JOIN)
-- engine: sqlite 3.39.4 via apsw==3.39.4.0   (also 3.39.2 and 3.39.3)
-- fixed-in: sqlite 3.40.0 via apsw==3.40.0.0 (verified; also correct on 3.40.1, 3.44.0 and 3.54.1)
-- oracle: tlp (variant where), norec
-- expected: 1 row (10): no row of t1 matches ON t2.j = 33, so the RIGHT JOIN yields t2's row with t1 NULL-extended and t1.d IS NULL is TRUE
-- actual: 0 rows: the NULL-extended row reads (d IS NULL) from the expression index instead of computing it (SELECT (d IS NULL) gives NULL)
CREATE TABLE t1(a, b, c, d, e, f, g, h, PRIMARY KEY(a, b, c)) WITHOUT ROWID;
CREATE TABLE t2(i, j);
INSERT INTO t2 VALUES(10, 20);
CREATE INDEX i1 ON t1((d IS NULL), d);
SELECT t2.i FROM t1 RIGHT JOIN t2 ON (t2.j = 33) WHERE (t1.d IS NULL);
