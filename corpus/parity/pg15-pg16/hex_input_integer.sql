-- PostgreSQL 16 release notes: non-decimal input for integer types
-- 15: invalid input syntax (22P02, a data exception); 16: 31
SELECT CAST('0x1F' AS integer) AS v;
