-- Retention: old notifications and delivered mail are deleted by the hourly cleanup; these
-- indexes let it find them without reading the whole table.
CREATE INDEX notifications_created_at ON notifications (created_at);
CREATE INDEX mail_outbox_done_created_at ON mail_outbox (created_at) WHERE status IN ('sent', 'failed');
