-- bug: found by sqlparity (fuzz run -t sqlite: --oracle fts --seed 18), reduced by hand; fixed upstream by 3.54.0 (no upstream report located)
-- engine: sqlite 3.44.0 via apsw==3.44.0.0   (also 3.40.1 (Python's sqlite3 here), 3.50.4, 3.53.0)
-- fixed-in: sqlite 3.54.0 via apsw==3.54.0.0 (also correct on 3.54.1)
-- oracle: fts (variant plan: MATCH in rowid order returns a row that the evaluator over fts_vocab and ORDER BY rowid DESC both exclude)
-- expected: 0 rows: `- {a b} : well` keeps no column, so it matches nothing, and row 2 has "42": x1 NOT (nothing OR "42") excludes row 2
-- actual: row 2 in a rowid-ascending scan (the default); ORDER BY rowid DESC returns no row
CREATE VIRTUAL TABLE fts_docs USING fts5(a, b);
CREATE VIRTUAL TABLE fts_vocab USING fts5vocab(fts_docs, instance);
INSERT INTO fts_docs(rowid, a, b) VALUES (1, 'well', ''), (2, '42', 'x1'), (3, 'well', '');
SELECT rowid FROM fts_docs WHERE fts_docs MATCH 'x1 NOT ((- {a b} : well) OR "42")';
