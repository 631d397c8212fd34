-- CreateTable
CREATE TABLE "push_pending" (
    "id" UUID NOT NULL,
    "subscription_id" UUID NOT NULL,
    "payload" JSONB NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "push_pending_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "push_pending_due_at_idx" ON "push_pending"("due_at");
