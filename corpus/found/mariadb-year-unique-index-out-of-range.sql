-- bug: found by sqlparity (fuzz run --oracle eet, variant case-same), reduced by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: tlp (variant where)
-- expected: 1 row: the YEAR 2001 is less than 18446 (c0 < 18446 is 1 as a value, and 2001 under IGNORE INDEX)
-- actual: no rows: the range scan of the unique YEAR index finds nothing below a constant out of YEAR's range
CREATE TABLE t0 (c0 YEAR NULL, CONSTRAINT t0_k0 UNIQUE (c0));
INSERT INTO t0 VALUES (1);
SELECT c0 FROM t0 WHERE c0 < 18446;
