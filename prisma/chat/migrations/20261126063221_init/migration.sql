-- CreateTable
CREATE TABLE "room" (
    "channel_id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "slow_mode_seconds" INTEGER,
    "followers_only_minutes" INTEGER,
    "emote_only" BOOLEAN NOT NULL DEFAULT false,
    "unique_chat" BOOLEAN NOT NULL DEFAULT false,
    "subscriber_only" BOOLEAN NOT NULL DEFAULT false,
    "cleared_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "room_pkey" PRIMARY KEY ("channel_id")
);

-- CreateTable
CREATE TABLE "message" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "sender_id" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "reply_to_id" UUID,
    "fragments" JSONB NOT NULL,
    "badges" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "deleted_by" UUID,

    CONSTRAINT "message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ban" (
    "channel_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "moderator_id" UUID NOT NULL,
    "reason" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ban_pkey" PRIMARY KEY ("channel_id","user_id")
);

-- CreateTable
CREATE TABLE "blocked_term" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "term" TEXT NOT NULL,
    "created_by" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blocked_term_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "emote" (
    "id" UUID NOT NULL,
    "channel_id" UUID,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "emote_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chatter" (
    "user_id" UUID NOT NULL,
    "login" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chatter_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "follower" (
    "channel_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "followed_at" TIMESTAMPTZ(3) NOT NULL,
    "active" BOOLEAN NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "follower_pkey" PRIMARY KEY ("channel_id","user_id")
);

-- CreateTable
CREATE TABLE "room_role" (
    "channel_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "room_role_pkey" PRIMARY KEY ("channel_id","role","user_id")
);

-- CreateTable
CREATE TABLE "processed_event" (
    "consumer_group" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_event_pkey" PRIMARY KEY ("consumer_group","event_id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT clock_timestamp(),
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "message_channel_id_sent_at_id_idx" ON "message"("channel_id", "sent_at" DESC, "id");

-- CreateIndex
CREATE INDEX "message_channel_id_sender_id_sent_at_idx" ON "message"("channel_id", "sender_id", "sent_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "blocked_term_channel_id_term_key" ON "blocked_term"("channel_id", "term");

-- CreateIndex
CREATE UNIQUE INDEX "emote_channel_id_code_key" ON "emote"("channel_id", "code");

-- CreateIndex
CREATE UNIQUE INDEX "emote_global_code_key" ON "emote"("code") WHERE (channel_id IS NULL);

-- CreateIndex
CREATE UNIQUE INDEX "chatter_login_key" ON "chatter"("login");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "outbox"("created_at") WHERE (published_at IS NULL);
