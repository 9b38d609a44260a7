-- PostgreSQL 16 release notes: functions pg_input_is_valid() and pg_input_error_info()
-- 15: no such function (42883); 16: false
SELECT pg_input_is_valid('12x', 'integer') AS v;
