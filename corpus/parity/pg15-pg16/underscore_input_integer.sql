-- PostgreSQL 16 release notes: underscores in integer input
-- 15: invalid input syntax (22P02); 16: 1000
SELECT CAST('1_000' AS integer) AS v;
