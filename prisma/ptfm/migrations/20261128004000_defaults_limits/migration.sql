-- Null: each domain keeps the value it is configured with.
ALTER TABLE "platform_defaults"
  ADD COLUMN "chat_viewer_messages_per_30s" INTEGER,
  ADD COLUMN "chat_moderator_messages_per_30s" INTEGER,
  ADD COLUMN "login_account_failures" INTEGER,
  ADD COLUMN "login_account_lock_seconds" INTEGER,
  ADD COLUMN "login_ip_attempts_per_minute" INTEGER;
