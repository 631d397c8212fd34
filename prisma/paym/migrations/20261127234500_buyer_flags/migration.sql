-- Buyers flagged for the trust and safety staff when their fraud signals cross a threshold.
-- CreateTable
CREATE TABLE "buyer_flag" (
    "user_id" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "signals" INTEGER NOT NULL,
    "payments" INTEGER NOT NULL,
    "refunds" INTEGER NOT NULL,
    "flagged_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "buyer_flag_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "buyer_flag_flagged_at_user_id_idx" ON "buyer_flag"("flagged_at" DESC, "user_id" DESC);
