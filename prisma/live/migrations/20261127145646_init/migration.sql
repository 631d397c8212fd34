-- CreateTable
CREATE TABLE "channel_info" (
    "channel_id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "title" TEXT NOT NULL DEFAULT '',
    "category" TEXT NOT NULL DEFAULT '',
    "changed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "channel_info_pkey" PRIMARY KEY ("channel_id")
);

-- CreateTable
CREATE TABLE "live_input" (
    "channel_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "provider_input_id" TEXT NOT NULL,
    "stream_key_cipher" TEXT NOT NULL,
    "stream_key_hash" TEXT NOT NULL,
    "playback_id" TEXT NOT NULL,
    "rtmp_url" TEXT NOT NULL,
    "srt_url" TEXT,
    "last_event_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "key_rotated_at" TIMESTAMPTZ(3),

    CONSTRAINT "live_input_pkey" PRIMARY KEY ("channel_id")
);

-- CreateTable
CREATE TABLE "stream" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "state" TEXT NOT NULL,
    "title" TEXT NOT NULL DEFAULT '',
    "category" TEXT NOT NULL DEFAULT '',
    "started_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "disconnected_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stream_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_inbox" (
    "id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "channel_id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_inbox_pkey" PRIMARY KEY ("id")
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
CREATE UNIQUE INDEX "live_input_stream_key_hash_key" ON "live_input"("stream_key_hash");

-- CreateIndex
CREATE UNIQUE INDEX "live_input_provider_provider_input_id_key" ON "live_input"("provider", "provider_input_id");

-- CreateIndex
CREATE INDEX "stream_channel_id_created_at_idx" ON "stream"("channel_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "webhook_inbox_provider_event_id_key" ON "webhook_inbox"("provider", "event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "outbox"("created_at") WHERE (published_at IS NULL);
