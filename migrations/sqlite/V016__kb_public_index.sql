-- Rapport schema, version 16: the help center's own full-text index.
--
-- Visitors and customers see published public articles only. Searching `kb_article_fts` (every
-- article) for them ranked every match of a common word and then looked each one up to drop
-- drafts and internal articles: about half the cost of a query. `kb_public_fts` holds exactly
-- the articles they may see (rowid = kb_articles.id), kept by the service in the article's
-- transaction, so their searches rank only what they can read. Same tokenizer and prefixes.
CREATE VIRTUAL TABLE kb_public_fts USING fts5(title, body, labels,
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '3 4');

INSERT INTO kb_public_fts(rowid, title, body, labels)
  SELECT f.rowid, f.title, f.body, f.labels FROM kb_article_fts f JOIN kb_articles a ON a.id = f.rowid
  WHERE a.archived_at IS NULL AND a.draft = 0 AND a.visibility = 'public';
