-- Mail with a kept promise: `content_at` is set just before the message content goes to the
-- SMTP server. A delivery that dies before it is safely retried; one that dies after it (or
-- whose reply is lost) is `unknown`, and is sent again only after a configured wait, with the
-- same Message-ID.
ALTER TABLE mail_outbox ADD COLUMN content_at TIMESTAMPTZ;
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_status_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled', 'unknown'));
DROP INDEX mail_outbox_due;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status IN ('queued', 'unknown');
CREATE INDEX mail_outbox_sending ON mail_outbox (claimed_at) WHERE status = 'sending';
