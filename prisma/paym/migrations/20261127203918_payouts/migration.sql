-- Payouts to streamers: their Stripe Connect accounts, the transfers made, and the ledger transactions recording them.
-- AlterTable
ALTER TABLE "ledger_entry" ADD COLUMN     "payout_id" UUID,
ALTER COLUMN "payment_id" DROP NOT NULL;

-- CreateTable
CREATE TABLE "payout_account" (
    "channel_id" UUID NOT NULL,
    "stripe_account_id" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payout_account_pkey" PRIMARY KEY ("channel_id")
);

-- CreateTable
CREATE TABLE "payout" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "stripe_account_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "stripe_transfer_id" TEXT,
    "failure" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "payout_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "payout_channel_id_created_at_id_idx" ON "payout"("channel_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "payout_state_idx" ON "payout"("state");
