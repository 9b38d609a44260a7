-- PostgreSQL 16 release notes: SQL/JSON constructor JSON_OBJECTAGG
-- 15: syntax error (42601); 16: {"a" : 1}
SELECT CAST(JSON_OBJECTAGG(k VALUE v) AS text) AS v FROM (VALUES ('a', 1)) AS t(k, v);
