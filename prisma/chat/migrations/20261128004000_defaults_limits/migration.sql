-- Null until a defaults event sets them: the store's configured limits hold.
ALTER TABLE "platform_defaults"
  ADD COLUMN "viewer_messages_per_30s" INTEGER,
  ADD COLUMN "moderator_messages_per_30s" INTEGER;
