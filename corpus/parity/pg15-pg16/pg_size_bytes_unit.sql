-- PostgreSQL 16 release notes: unit B in pg_size_bytes()
-- 15: invalid size (22023, a data exception); 16: 1
SELECT pg_size_bytes('1 B') AS v;
