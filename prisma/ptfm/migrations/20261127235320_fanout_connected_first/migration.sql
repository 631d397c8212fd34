-- AlterTable
ALTER TABLE "fanout_job" ADD COLUMN     "users" UUID[] DEFAULT ARRAY[]::UUID[];
