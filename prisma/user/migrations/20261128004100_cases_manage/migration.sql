-- The platform domain's trust and safety queue is worked by trust and safety, and by admins, who hold every permission.
UPDATE "staff_role" SET "permissions" = array_append("permissions", 'cases:manage') WHERE "name" IN ('admin', 'trust-safety') AND NOT ('cases:manage' = ANY ("permissions"));
