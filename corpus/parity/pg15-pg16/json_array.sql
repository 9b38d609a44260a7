-- PostgreSQL 16 release notes: SQL/JSON constructor JSON_ARRAY
-- 15: no such function (42883); 16: [1, 2, 3]
SELECT CAST(JSON_ARRAY(1, 2, 3) AS text) AS v;
