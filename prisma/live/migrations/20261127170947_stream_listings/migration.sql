-- AlterTable
ALTER TABLE "stream" ADD COLUMN     "peak_viewer_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "playback_id" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "viewer_count" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "stream_on_air_by_viewers_idx" ON "stream"("viewer_count" DESC, "id") WHERE (ended_at IS NULL);

-- CreateIndex
CREATE INDEX "stream_created_at_id_idx" ON "stream"("created_at" DESC, "id");
