-- PostgreSQL 16 release notes: non-decimal integer literals (octal, binary)
-- 15: syntax error (42601); 16: 20
SELECT 0o17 + 0b101 AS v;
