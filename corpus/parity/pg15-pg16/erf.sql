-- PostgreSQL 16 release notes: functions erf() and erfc()
-- 15: no such function (42883); 16: 0.5204998778130465
SELECT erf(0.5) AS v;
