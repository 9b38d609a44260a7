-- bug: found by sqlparity (fuzz run --oracle codd, variant literal), reduced by hand; fixed upstream by 3.42.0 (no upstream report located)
-- engine: sqlite 3.41.2 via apsw==3.41.2.0   (also 3.39.2, 3.40.1, 3.41.0: `fuzz bisect` from 3.39.2; 3.40.1 is Debian 12's system library behind Python's sqlite3)
-- fixed-in: sqlite 3.42.0 via apsw==3.42.0.1 (verified; also correct on 3.44.0 and 3.54.x)
-- oracle: codd (variant literal: FALSE as (SELECT FALSE))
-- expected: 5 rows (1..5): the inner join ON ... AND FALSE is empty, so the RIGHT JOIN keeps every row of t1 with a NULL-extended left side
-- actual: 0 rows; with `(SELECT FALSE)` in place of FALSE the 5 rows come back
CREATE TABLE t0 (c0 INTEGER, c1 INTEGER);
CREATE TABLE t1 (c0 INTEGER, c1 INTEGER);
INSERT INTO t0 VALUES (1, 1), (2, 2);
INSERT INTO t1 VALUES (1, 1), (2, 2), (3, 3), (4, NULL), (5, 5);
SELECT t1.c0 FROM t0 AS a JOIN t0 AS b ON a.c1 = b.c1 AND FALSE RIGHT JOIN t1 ON a.c1 = t1.c1;
