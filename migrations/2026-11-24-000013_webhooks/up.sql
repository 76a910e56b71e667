-- Optional per-team webhook: a signed POST when an item is routed to the team or its status changes.
ALTER TABLE teams ADD COLUMN webhook_url TEXT, ADD COLUMN webhook_secret TEXT;
