-- PostgreSQL 16 release notes: SQL/JSON predicate IS JSON WITH UNIQUE KEYS
-- 15: syntax error (42601); 16: false
SELECT '{"a": 1, "a": 2}' IS JSON WITH UNIQUE KEYS AS v;
