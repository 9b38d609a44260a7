-- PostgreSQL 16 release notes: non-decimal integer literals
-- 15: syntax error (42601); 16: integer out of range (22003)
SELECT 0x7FFFFFFF + 1 AS v;
