-- A push the push service could not take now (unreachable, 429, 5xx) is tried again later, a bounded number of times.
ALTER TABLE "push_pending" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0;
