-- bug: found by sqlparity (fuzz run --seed 303, NoREC and TLP), reduced by fuzz reduce; fixed upstream by 3.41.2 (no upstream report located)
-- engine: sqlite 3.40.1 via apsw==3.40.1.0   (Python 3.11's bundled sqlite3 on Debian 12 is 3.40.1 too)
-- fixed-in: sqlite 3.41.2 via apsw==3.41.2.0
-- oracle: tlp (variant where), norec
-- expected: 2 rows (the two rows with c0 = '2' match v5, whose c2 is 0); SUM(CASE WHEN c2 IS NOT NULL ...) = 2
-- actual: the query returns its 2 rows, but SUM(CASE WHEN c2 IS NOT NULL THEN 1 ELSE 0 END) over the join is 1,
--         and the TLP partitions of the unfiltered join do not add up
CREATE TABLE t1 (c5 CHAR);
CREATE TABLE t2 (c7 TIMESTAMP);
INSERT INTO t1 VALUES ('');
INSERT INTO t2 VALUES ('2'), (''), ('2');
CREATE VIEW v4 AS SELECT c7 AS c0 FROM t2;
CREATE VIEW v5 AS SELECT (SELECT 0) AS c2 FROM t1;
SELECT * FROM v4 LEFT JOIN v5 ON c0 WHERE c2 IS NOT NULL;
