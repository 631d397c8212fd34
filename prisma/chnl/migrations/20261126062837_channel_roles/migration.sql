-- CreateEnum
CREATE TYPE "ChannelRoleKind" AS ENUM ('moderator', 'vip');

-- CreateTable
CREATE TABLE "channel_role" (
    "channel_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "role" "ChannelRoleKind" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channel_role_pkey" PRIMARY KEY ("channel_id","role","user_id")
);

-- AddForeignKey
ALTER TABLE "channel_role" ADD CONSTRAINT "channel_role_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;
