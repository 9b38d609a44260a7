-- PostgreSQL 16 release notes: SQL/JSON predicate IS JSON
-- 15: syntax error (42601); 16: true
SELECT '{"a": 1}' IS JSON OBJECT AS v;
