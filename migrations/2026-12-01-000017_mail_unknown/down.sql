DROP INDEX mail_outbox_sending;
DROP INDEX mail_outbox_due;
UPDATE mail_outbox SET status = 'failed' WHERE status = 'unknown';
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_status_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled'));
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'queued';
ALTER TABLE mail_outbox DROP COLUMN content_at;
