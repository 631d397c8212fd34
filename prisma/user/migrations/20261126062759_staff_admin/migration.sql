-- AlterTable
ALTER TABLE "account" ADD COLUMN     "suspended_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "staff_member" (
    "user_id" UUID NOT NULL,
    "totp_secret" TEXT NOT NULL,
    "last_totp_step" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "staff_member_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "staff_role" (
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "permissions" TEXT[],
    "built_in" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "staff_role_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "staff_grant" (
    "user_id" UUID NOT NULL,
    "role_name" TEXT NOT NULL,
    "granted_by" UUID,
    "granted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "staff_grant_pkey" PRIMARY KEY ("user_id","role_name")
);

-- CreateTable
CREATE TABLE "audit_record" (
    "id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
    "actor_id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "reason" TEXT,
    "request_id" TEXT NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_record_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_record_at_idx" ON "audit_record"("at");

-- CreateIndex
CREATE INDEX "audit_record_actor_id_at_idx" ON "audit_record"("actor_id", "at");

-- CreateIndex
CREATE INDEX "audit_record_target_id_at_idx" ON "audit_record"("target_id", "at");

-- AddForeignKey
ALTER TABLE "staff_member" ADD CONSTRAINT "staff_member_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_grant" ADD CONSTRAINT "staff_grant_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "staff_member"("user_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_grant" ADD CONSTRAINT "staff_grant_role_name_fkey" FOREIGN KEY ("role_name") REFERENCES "staff_role"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The audit log is append-only for every writer, the application included: history cannot be rewritten.
CREATE FUNCTION "audit_record_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_record is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "audit_record_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_record"
  FOR EACH ROW EXECUTE FUNCTION "audit_record_append_only"();

CREATE TRIGGER "audit_record_no_truncate" BEFORE TRUNCATE ON "audit_record"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_record_append_only"();

-- The built-in roles (subgraphs/user/src/services/staff-permissions.ts names the permissions).
INSERT INTO "staff_role" ("name", "description", "permissions", "built_in") VALUES
  ('admin', 'Everything, including roles and staff', ARRAY['users:read','users:suspend','roles:read','roles:manage','staff:manage','audit:read','chat:moderate','payments:read'], true),
  ('trust-safety', 'Investigates and suspends accounts, moderates chat', ARRAY['users:read','users:suspend','audit:read','chat:moderate'], true),
  ('support', 'Looks up accounts to help users', ARRAY['users:read'], true),
  ('finance', 'Reads accounts and payments', ARRAY['users:read','payments:read'], true);
