-- CreateTable
CREATE TABLE "login_defaults" (
    "id" SMALLINT NOT NULL DEFAULT 1,
    "version" INTEGER NOT NULL DEFAULT 0,
    "account_failures" INTEGER,
    "account_lock_seconds" INTEGER,
    "attempts_per_ip_per_minute" INTEGER,

    CONSTRAINT "login_defaults_pkey" PRIMARY KEY ("id")
);

-- The one row (id 1), version 0: the configured limits hold until staff change them.
INSERT INTO "login_defaults" ("id") VALUES (1);
