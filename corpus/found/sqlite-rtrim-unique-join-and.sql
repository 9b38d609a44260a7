-- bug: found by sqlparity (fuzz run, the README's first command, oracle eet, variants or-false, not-not and de-morgan), reduced by fuzz reduce; fixed upstream by 3.54.1 (apsw's SQLite returns the row)
-- engine: sqlite 3.40.1 via apsw==3.40.1.0   (also Debian 12's 3.40.1 behind Python's sqlite3)
-- fixed-in: sqlite 3.54.1 via apsw==3.54.1.0 (verified; the first fixed release is not located)
-- oracle: eet (variant or-false)
-- expected: 1 row: t3.c1 is RTRIM-collated, so 'b' = 'b ' holds for t3's row (1, 'b'), and its c0 is 1
-- actual: no rows, while the same WHERE written `(...) OR FALSE` or `+a127.c1 = ...` returns the row: the lookup through t3's unique RTRIM index under AND loses it
CREATE TABLE t2 (c1 VARCHAR);
CREATE TABLE t3 (c0 SMALLINT, c1 VARCHAR COLLATE RTRIM, CONSTRAINT t3_k0 UNIQUE (c1));
INSERT INTO t2 VALUES (''), (''), (''), ('b ');
INSERT INTO t3 VALUES (0, ''), (0, 'x'), (1, 'b');
ANALYZE;
SELECT 0 FROM t2 a125 CROSS JOIN t3 a127 WHERE a127.c1 = a125.c1 AND c0;
