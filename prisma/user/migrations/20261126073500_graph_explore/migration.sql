-- The explorer (ad-hoc queries on the router) is an admin's, like every permission of the built-in admin role.
UPDATE "staff_role" SET "permissions" = array_append("permissions", 'graph:explore') WHERE "name" = 'admin' AND NOT ('graph:explore' = ANY ("permissions"));
