-- bug: found by sqlparity (fuzz run --oracle eet, variant case-true), reduced by hand; not yet reported upstream
-- engine: mariadb 10.11.19        (the server here, 10.11.19-MariaDB-0+deb12u1)
-- fixed-in: none known
-- oracle: tlp (variant where), norec
-- expected: 2 rows: the LEFT JOIN matches nothing, a.c0 is NULL, FIELD(NULL, NULL) is 0, so FIELD(a.c0, a.c0) = 0 is TRUE for both rows of b
-- actual: no rows: the WHERE is taken as rejecting NULL-extended rows and the outer join becomes an inner join; TLP 0+0+0 against 2 rows, NoREC count 0 against sum 2
CREATE TABLE a (c0 INT);
CREATE TABLE b (c0 INT);
INSERT INTO a VALUES (1);
INSERT INTO b VALUES (1), (2);
SELECT b.c0 FROM b LEFT JOIN a ON a.c0 = b.c0 + 10 WHERE FIELD(a.c0, a.c0) = 0;
