-- CreateTable
CREATE TABLE "platform_defaults" (
    "id" SMALLINT NOT NULL DEFAULT 1,
    "version" INTEGER NOT NULL DEFAULT 0,
    "chat_slow_mode_seconds" INTEGER,
    "chat_followers_only_minutes" INTEGER,
    "chat_subscriber_only" BOOLEAN NOT NULL DEFAULT false,
    "chat_emote_only" BOOLEAN NOT NULL DEFAULT false,
    "chat_unique_chat" BOOLEAN NOT NULL DEFAULT false,
    "chat_blocked_terms" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "platform_defaults_pkey" PRIMARY KEY ("id")
);

-- The one row (id 1), the defaults as they are before staff change any: every new room's mode off, no global term.
INSERT INTO "platform_defaults" ("id") VALUES (1);
