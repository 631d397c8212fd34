-- AlterTable
ALTER TABLE "outbox" ALTER COLUMN "created_at" SET DEFAULT clock_timestamp(),
ALTER COLUMN "created_at" SET DATA TYPE TIMESTAMPTZ(6);
