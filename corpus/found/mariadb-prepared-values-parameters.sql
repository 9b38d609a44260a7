-- bug: found by sqlparity (fuzz run, plancache), reduced by fuzz reduce and by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: plancache (variant auto)
-- expected: VALUES ('b'), ('ab') is the rows 'b' and 'ab': c1 IN (...) keeps the rows b and ab, prepared or not
-- actual: prepared, a table value constructor whose column is only parameters returns each parameter as an empty binary string (PREPARE s FROM 'VALUES (?), (?)'; EXECUTE s USING 1, 2 gives '' and ''), from the first execution on, whether the values come as literals or user variables: the IN keeps no row
CREATE TABLE t0 (c1 VARCHAR(4));
INSERT INTO t0 VALUES ('a'), ('b'), ('ab');
SELECT c1 FROM t0 WHERE c1 IN (VALUES ('b'), ('ab'));
