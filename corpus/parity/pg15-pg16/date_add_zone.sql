-- PostgreSQL 16 release notes: functions date_add() and date_subtract() in a time zone
-- 15: no such function (42883); 16: 2021-10-31 23:00:00+00
SELECT date_add(TIMESTAMPTZ '2021-10-31 00:00:00+02', INTERVAL '1 day', 'Europe/Warsaw') AS v;
