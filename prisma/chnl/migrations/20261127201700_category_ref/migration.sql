-- CreateTable
CREATE TABLE "category" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "category_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "channel" ADD COLUMN "category_id" UUID;

-- CreateIndex
CREATE INDEX "channel_category_id_idx" ON "channel"("category_id");
