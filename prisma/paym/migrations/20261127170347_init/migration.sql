-- CreateTable
CREATE TABLE "channel_owner" (
    "channel_id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,

    CONSTRAINT "channel_owner_pkey" PRIMARY KEY ("channel_id")
);

-- CreateTable
CREATE TABLE "product" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "tier" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "apple_product_id" TEXT,
    "google_product_id" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "product_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product_price" (
    "product_id" UUID NOT NULL,
    "currency" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,

    CONSTRAINT "product_price_pkey" PRIMARY KEY ("product_id","currency")
);

-- CreateTable
CREATE TABLE "checkout" (
    "buyer_id" UUID NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "channel_id" UUID NOT NULL,
    "tier" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "stripe_session_id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkout_pkey" PRIMARY KEY ("buyer_id","idempotency_key")
);

-- CreateTable
CREATE TABLE "entitlement" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "tier" INTEGER NOT NULL,
    "store" TEXT NOT NULL,
    "store_subscription_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "period_end" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" TEXT,
    "last_event_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "entitlement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment" (
    "id" UUID NOT NULL,
    "store" TEXT NOT NULL,
    "store_payment_id" TEXT NOT NULL,
    "aliases" TEXT[],
    "store_subscription_id" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "paid_at" TIMESTAMPTZ(3) NOT NULL,
    "refunded_at" TIMESTAMPTZ(3),

    CONSTRAINT "payment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_entry" (
    "id" UUID NOT NULL,
    "transaction_id" UUID NOT NULL,
    "account" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payment_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fraud_signal" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "store" TEXT NOT NULL,
    "store_event_id" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "fraud_signal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_inbox" (
    "id" UUID NOT NULL,
    "store" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "notice" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_inbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_event" (
    "consumer_group" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_event_pkey" PRIMARY KEY ("consumer_group","event_id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT clock_timestamp(),
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "product_apple_product_id_key" ON "product"("apple_product_id");

-- CreateIndex
CREATE UNIQUE INDEX "product_google_product_id_key" ON "product"("google_product_id");

-- CreateIndex
CREATE UNIQUE INDEX "product_channel_id_tier_key" ON "product"("channel_id", "tier");

-- CreateIndex
CREATE INDEX "entitlement_store_store_subscription_id_idx" ON "entitlement"("store", "store_subscription_id");

-- CreateIndex
CREATE UNIQUE INDEX "entitlement_user_id_channel_id_key" ON "entitlement"("user_id", "channel_id");

-- CreateIndex
CREATE INDEX "payment_aliases_idx" ON "payment" USING GIN ("aliases");

-- CreateIndex
CREATE UNIQUE INDEX "payment_store_store_payment_id_key" ON "payment"("store", "store_payment_id");

-- CreateIndex
CREATE INDEX "ledger_entry_account_currency_idx" ON "ledger_entry"("account", "currency");

-- CreateIndex
CREATE INDEX "ledger_entry_transaction_id_idx" ON "ledger_entry"("transaction_id");

-- CreateIndex
CREATE INDEX "fraud_signal_user_id_idx" ON "fraud_signal"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "fraud_signal_store_store_event_id_key" ON "fraud_signal"("store", "store_event_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_inbox_store_event_id_key" ON "webhook_inbox"("store", "event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "outbox"("created_at") WHERE (published_at IS NULL);

-- AddForeignKey
ALTER TABLE "product_price" ADD CONSTRAINT "product_price_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("id") ON DELETE CASCADE ON UPDATE CASCADE;
