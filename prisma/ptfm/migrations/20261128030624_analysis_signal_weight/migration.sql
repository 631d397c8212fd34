-- AlterTable
ALTER TABLE "analysis_signal" ADD COLUMN     "weight" INTEGER NOT NULL DEFAULT 1;
