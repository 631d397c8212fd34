-- AlterTable
ALTER TABLE "message" ADD COLUMN     "comparable_text" TEXT NOT NULL DEFAULT '';

-- Messages sent before the fold existed compare by case only; the duplicate window is 30 seconds, so they age out
-- at once.
UPDATE "message" SET "comparable_text" = lower("text");
