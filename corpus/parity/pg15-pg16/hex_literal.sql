-- PostgreSQL 16 release notes: non-decimal integer literals
-- 15: syntax error (42601); 16: 31
SELECT 0x1F AS v;
