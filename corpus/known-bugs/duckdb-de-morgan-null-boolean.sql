-- bug: https://github.com/duckdb/duckdb/issues/25992
-- engine: duckdb 1.5.0            (also 1.5.6 and, per the report, 1.5.5; 1.4.4 is not affected)
-- fixed-in: duckdb 2.0.0          (verified; also correct on 2.0.1)
-- oracle: tlp (variant where), norec, dqp
-- expected: 1 row (NULL): c IS TRUE is FALSE, so NOT (c IS TRUE) is TRUE and the OR is TRUE
-- actual: 0 rows; with PRAGMA disable_optimizer the row comes back, and the De Morgan twin NOT ((c IS TRUE) AND (c < TRUE)) keeps it
CREATE TABLE t(c BOOLEAN);
INSERT INTO t VALUES (NULL);
SELECT t.c FROM t WHERE (NOT (t.c IS TRUE)) OR (NOT (t.c < TRUE));
