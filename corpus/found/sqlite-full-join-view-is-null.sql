-- bug: found by sqlparity (fuzz run --seed 101, NoREC), reduced by fuzz reduce; fixed upstream by 3.54.1 (no upstream report located)
-- engine: sqlite 3.53.0 via apsw==3.53.0.0   (also every release checked from 3.40.1 to 3.53.0: 3.40.1, 3.41.2, 3.42.0, 3.43.0, 3.44.0, 3.45.1, 3.46.1, 3.47.2, 3.48.0, 3.49.1, 3.50.4, 3.51.0)
-- fixed-in: sqlite 3.54.1 via apsw==3.54.1.0
-- oracle: norec
-- expected: 0 rows: the only row has c0 = 0, so c0 IS NULL is false (SUM(CASE WHEN c0 IS NULL ...) = 0)
-- actual: COUNT(*) ... WHERE c0 IS NULL = 1 after a JOIN and a FULL JOIN without ON of a view
CREATE TABLE t1 (c2 INTEGER UNIQUE);
CREATE TABLE t2 (c0 INTEGER);
INSERT INTO t1 VALUES (0);
INSERT INTO t2 VALUES (0);
CREATE VIEW v4 AS SELECT 0 FROM t1 WHERE (c2 >= 0 OR c2 >= 1);
SELECT * FROM t2 JOIN v4 FULL JOIN v4 WHERE c0 IS NULL;
