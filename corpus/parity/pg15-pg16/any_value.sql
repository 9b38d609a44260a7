-- PostgreSQL 16 release notes: aggregate any_value()
-- 15: no such function (42883); 16: 1
SELECT any_value(x) AS v FROM (VALUES (1), (1)) AS t(x);
