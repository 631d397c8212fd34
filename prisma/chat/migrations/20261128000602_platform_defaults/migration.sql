-- CreateTable
CREATE TABLE "platform_defaults" (
    "id" SMALLINT NOT NULL DEFAULT 1,
    "version" INTEGER NOT NULL DEFAULT 0,
    "slow_mode_seconds" INTEGER,
    "followers_only_minutes" INTEGER,
    "subscriber_only" BOOLEAN NOT NULL DEFAULT false,
    "emote_only" BOOLEAN NOT NULL DEFAULT false,
    "unique_chat" BOOLEAN NOT NULL DEFAULT false,
    "blocked_terms" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "platform_defaults_pkey" PRIMARY KEY ("id")
);

-- The one row (id 1), version 0: the platform's defaults before staff change any.
INSERT INTO "platform_defaults" ("id") VALUES (1);
