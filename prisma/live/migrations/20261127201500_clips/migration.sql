-- Clips: a viewer's cut of a live stream or a VOD, made by the provider as an asset of its own.
CREATE TABLE "clip" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "creator_id" UUID NOT NULL,
    "stream_id" UUID,
    "vod_id" UUID,
    "provider" TEXT NOT NULL,
    "provider_asset_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "category" TEXT NOT NULL DEFAULT '',
    "start_offset_seconds" DOUBLE PRECISION NOT NULL,
    "duration_seconds" DOUBLE PRECISION NOT NULL,
    "playback_id" TEXT,
    "ready_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "clip_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "clip_provider_provider_asset_id_key" ON "clip"("provider", "provider_asset_id");

-- CreateIndex
CREATE INDEX "clip_channel_id_created_at_id_idx" ON "clip"("channel_id", "created_at" DESC, "id");
