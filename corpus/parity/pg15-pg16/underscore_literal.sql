-- PostgreSQL 16 release notes: underscores in numeric literals
-- 15: syntax error (42601); 16: 1000000
SELECT 1_000_000 AS v;
