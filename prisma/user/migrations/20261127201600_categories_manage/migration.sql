-- The platform domain's category catalogue is managed by admins, like every permission of the built-in admin role.
UPDATE "staff_role" SET "permissions" = array_append("permissions", 'categories:manage') WHERE "name" = 'admin' AND NOT ('categories:manage' = ANY ("permissions"));
