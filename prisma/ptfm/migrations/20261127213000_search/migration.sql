-- Trigram similarity (a misspelt login or title still matches); installed in this schema, the only one on the
-- domain's search_path.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateTable
CREATE TABLE "search_user" (
    "user_id" UUID NOT NULL,
    "login" TEXT,
    "display_name" TEXT,
    "suspended" BOOLEAN NOT NULL DEFAULT false,
    "status_at" TIMESTAMPTZ(3),

    CONSTRAINT "search_user_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "search_channel" (
    "channel_id" UUID NOT NULL,
    "owner_id" UUID,
    "title" TEXT NOT NULL DEFAULT '',
    "title_at" TIMESTAMPTZ(3),
    "category" TEXT NOT NULL DEFAULT '',
    "category_at" TIMESTAMPTZ(3),
    "tags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "tags_at" TIMESTAMPTZ(3),
    "live" BOOLEAN NOT NULL DEFAULT false,
    "live_at" TIMESTAMPTZ(3),

    CONSTRAINT "search_channel_pkey" PRIMARY KEY ("channel_id")
);

-- CreateIndex
CREATE INDEX "search_channel_owner_id_idx" ON "search_channel"("owner_id");

-- Trigram indexes: similarity (%), word similarity (<%) and ILIKE on the searched names.
CREATE INDEX "search_user_login_trgm_idx" ON "search_user" USING GIN ("login" gin_trgm_ops);
CREATE INDEX "search_user_display_name_trgm_idx" ON "search_user" USING GIN ("display_name" gin_trgm_ops);
CREATE INDEX "search_channel_title_trgm_idx" ON "search_channel" USING GIN ("title" gin_trgm_ops);
CREATE INDEX "category_name_trgm_idx" ON "category" USING GIN ("name" gin_trgm_ops);
