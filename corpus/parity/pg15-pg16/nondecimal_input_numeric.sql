-- PostgreSQL 16 release notes: non-decimal input for numeric
-- 15: invalid input syntax (22P02); 16: 1071
SELECT CAST('0x42F' AS numeric) AS v;
