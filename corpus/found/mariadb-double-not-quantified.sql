-- bug: found by sqlparity (fuzz run --oracle eet, variant not-not), reduced by hand; not yet reported upstream (AliSQL, a MySQL fork, has the same symptom: alibaba/AliSQL#175)
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: tlp (variant where)
-- expected: 2 rows: 1 <> ANY (SELECT 2) is TRUE, so NOT (NOT (1 <> ANY (SELECT 2))) is TRUE too
-- actual: no rows: the double negation of a quantified comparison is evaluated as FALSE (SELECT NOT (NOT (1 <> ANY (SELECT 2))) gives 0)
CREATE TABLE t0 (c0 INT);
INSERT INTO t0 VALUES (1), (NULL);
SELECT c0 FROM t0 WHERE NOT (NOT (1 <> ANY (SELECT 2)));
