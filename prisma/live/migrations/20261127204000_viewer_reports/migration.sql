-- Viewer counts as the realtime gateway's instances report them, each counting until it expires.
-- CreateTable
CREATE TABLE "viewer_report" (
    "instance_id" TEXT NOT NULL,
    "channel_id" UUID NOT NULL,
    "viewers" INTEGER NOT NULL,
    "counted_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "viewer_report_pkey" PRIMARY KEY ("instance_id","channel_id")
);

-- CreateIndex
CREATE INDEX "viewer_report_channel_id_idx" ON "viewer_report"("channel_id");

-- CreateIndex
CREATE INDEX "viewer_report_expires_at_idx" ON "viewer_report"("expires_at");
