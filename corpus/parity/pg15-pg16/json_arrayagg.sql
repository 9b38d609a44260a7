-- PostgreSQL 16 release notes: SQL/JSON constructor JSON_ARRAYAGG
-- 15: no such function (42883); 16: [1, 2]
SELECT CAST(JSON_ARRAYAGG(x ORDER BY x) AS text) AS v FROM (VALUES (2), (1)) AS t(x);
