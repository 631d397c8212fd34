-- CreateTable
CREATE TABLE "search_viewer_report" (
    "instance_id" TEXT NOT NULL,
    "counted_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "search_viewer_report_pkey" PRIMARY KEY ("instance_id")
);

-- CreateTable
CREATE TABLE "search_viewers" (
    "channel_id" UUID NOT NULL,
    "instance_id" TEXT NOT NULL,
    "viewers" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "search_viewers_pkey" PRIMARY KEY ("channel_id","instance_id")
);

-- CreateIndex
CREATE INDEX "search_viewers_instance_id_idx" ON "search_viewers"("instance_id");
