-- AlterTable
ALTER TABLE "announcement" ADD COLUMN     "thumbnail_url" TEXT;
