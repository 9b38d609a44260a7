-- PostgreSQL 16 release notes: SQL/JSON constructor JSON_OBJECT
-- 15: syntax error (42601); 16: {"a" : 1}
SELECT CAST(JSON_OBJECT('a' VALUE 1) AS text) AS v;
