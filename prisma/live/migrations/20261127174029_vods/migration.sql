-- CreateTable
CREATE TABLE "vod" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "stream_id" UUID,
    "provider" TEXT NOT NULL,
    "provider_asset_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "title" TEXT NOT NULL DEFAULT '',
    "category" TEXT NOT NULL DEFAULT '',
    "duration_seconds" DOUBLE PRECISION,
    "playback_id" TEXT,
    "changed_at" TIMESTAMPTZ(3) NOT NULL,
    "ready_at" TIMESTAMPTZ(3),
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vod_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "vod_channel_id_created_at_id_idx" ON "vod"("channel_id", "created_at" DESC, "id");

-- CreateIndex
CREATE UNIQUE INDEX "vod_provider_provider_asset_id_key" ON "vod"("provider", "provider_asset_id");
