-- The platform domain's defaults are changed by admins, like every permission of the built-in admin role.
UPDATE "staff_role" SET "permissions" = array_append("permissions", 'settings:manage') WHERE "name" = 'admin' AND NOT ('settings:manage' = ANY ("permissions"));
