DROP TABLE user_medals;
DROP TABLE honor_totals;
DROP TABLE honor_ledger;
ALTER TABLE users DROP COLUMN honor, DROP COLUMN level, DROP COLUMN title;
