-- bug: https://sqlite.org/releaselog/3_43_1.html (item 3: "Fix the omit-unused-subquery-columns optimization (introduced in version 3.42.0) so that it works correctly if the subquery is a compound where one arm is DISTINCT and the other is not")
-- engine: sqlite 3.43.0 via apsw==3.43.0.0   (also 3.42.0; 3.41.2 is not affected)
-- fixed-in: sqlite 3.43.1 via apsw==3.43.1.0 (verified; also correct on 3.44.0 and 3.54.1)
-- oracle: tlp (variant where)
-- expected: 4 rows (1, 1, 1, 1): the DISTINCT arm keeps (1, 1) and (1, 2), the other arm both rows
-- actual: without the WHERE the unused column y is dropped from the DISTINCT arm, which then keeps one row: 3 rows; with WHERE s.y > 0 (y used) 4 rows, so TLP's partitions (4+0+0) do not add up to the 3 unfiltered rows
CREATE TABLE t1(a INT, b INT);
INSERT INTO t1 VALUES (1, 1), (1, 2);
SELECT s.x FROM (SELECT DISTINCT a AS x, b AS y FROM t1 UNION ALL SELECT a, b FROM t1) AS s WHERE (s.y > 0);
