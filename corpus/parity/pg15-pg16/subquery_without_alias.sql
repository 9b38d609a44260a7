-- PostgreSQL 16 release notes: a subquery in FROM needs no alias
-- 15: syntax error (42601); 16: 1
SELECT * FROM (SELECT 1 AS a);
