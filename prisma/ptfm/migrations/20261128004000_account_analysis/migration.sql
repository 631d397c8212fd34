-- CreateTable
CREATE TABLE "analysis_signal" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "analysis_signal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trust_case" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "score" INTEGER NOT NULL,
    "signal_count" INTEGER NOT NULL,
    "user_ids" UUID[],
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_signal_at" TIMESTAMPTZ(3) NOT NULL,
    "assignee_id" UUID,
    "resolved_at" TIMESTAMPTZ(3),
    "resolution" TEXT,

    CONSTRAINT "trust_case_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "analysis_signal_kind_subject_at_idx" ON "analysis_signal"("kind", "subject", "at");

-- CreateIndex
CREATE INDEX "analysis_signal_at_idx" ON "analysis_signal"("at");

-- CreateIndex
CREATE INDEX "trust_case_status_opened_at_idx" ON "trust_case"("status", "opened_at");

-- A burst opens one case, not one per signal: signals arriving while it is open update it (ON CONFLICT).
CREATE UNIQUE INDEX "trust_case_one_open" ON "trust_case"("kind", "subject") WHERE (status <> 'resolved');
