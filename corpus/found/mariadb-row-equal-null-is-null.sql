-- bug: found by sqlparity (fuzz run, TLP, on row comparisons), reduced by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: tlp (variant where)
-- expected: TLP's partitions of the unfiltered table hold both rows: for c0 = 0 and for c0 = NULL, (c0, NULL) = (0, 1) is NULL, so the IS NULL partition holds them
-- actual: the IS NULL partition is empty: SELECT ((0, NULL) = (0, 1)) IS NULL gives 0 while ((0, NULL) = (0, 1)) itself is NULL
CREATE TABLE t0 (c0 INT);
INSERT INTO t0 VALUES (0), (NULL);
SELECT c0 FROM t0 WHERE (c0, NULL) = (0, 1);
