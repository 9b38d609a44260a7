-- bug: found by sqlparity (fuzz run -t datafusion: --oracle tlp, variant distinct; findings 1-8 of one 4-minute run share it), reduced by fuzz reduce and by hand; not yet reported upstream
-- engine: datafusion 55.0.0        (PyPI datafusion==55.0.0, the newest release on PyPI on 2026-12-03: still has it)
-- fixed-in: none known
-- oracle: tlp (variant where)
-- expected: no row: `WHERE c2` with c2 NULL keeps none of the derived table's one row (0, NULL); `WHERE c2 IS NULL` keeps it, so the three partitions together hold exactly that row
-- actual: `WHERE c2` and `WHERE NOT c2` each return (NULL, NULL): the filter on the constant column is pushed below the aggregate without GROUP BY, which then aggregates no rows and still emits its one row (MIN of nothing); the same with GROUP BY ROLLUP/CUBE/GROUPING SETS (()) and a filter on a constant column
SELECT * FROM (SELECT MIN(0) AS c1, NULL AS c2) AS a WHERE c2;
