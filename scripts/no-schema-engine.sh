#!/bin/sh
# Stand-in for Prisma's native schema engine, which downloads from a host these machines cannot reach.
# `prisma generate` never runs it; any `prisma migrate` or `prisma db` command that would, fails here, loudly,
# instead of silently doing nothing. Migrations go through the project's own command.
echo "prisma: the native schema engine is not available on this machine." >&2
echo "Use npm run db:migrate, db:check or db:create (scripts/migrate.ts) instead." >&2
exit 1
