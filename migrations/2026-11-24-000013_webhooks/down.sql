ALTER TABLE teams DROP COLUMN webhook_url, DROP COLUMN webhook_secret;
