DROP INDEX mail_outbox_done_created_at;
DROP INDEX notifications_created_at;
