-- bug: found by sqlparity (fuzz run --oracle codd, variant in), reduced by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: tlp (variant where)
-- expected: no rows: the DECIMAL(10,0) value 0 is not 0.01 (c4 = 0.01 is 0 as a value, and no row matches under IGNORE INDEX)
-- actual: 1 row: the index lookup rounds 0.01 to the column's scale and matches 0
CREATE TABLE t1 (c4 DECIMAL);
INSERT INTO t1 VALUES (0);
CREATE INDEX i1 ON t1 (c4);
SELECT c4 FROM t1 WHERE c4 = 0.01;
