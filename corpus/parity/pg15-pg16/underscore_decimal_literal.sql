-- PostgreSQL 16 release notes: underscores in numeric literals
-- 15: syntax error (42601); 16: 1000.5
SELECT 1_000.5 AS v;
