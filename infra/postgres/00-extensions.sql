-- Extensions of the Mosaic database, applied by the postgres image's entrypoint on first start
-- (empty data directory), connected as the superuser to $POSTGRES_DB.
--
-- pgvector backs `memory.type = pgvector` (the default of the federated tier). The
-- pgvector/pgvector images ship it; on a server without it this file only warns, and the
-- gateway's tier detector refuses to start with pgvector memory until it is installed
-- (or MOSAIC_MEMORY_TYPE=keyword is chosen).
DO $extensions$
BEGIN
  IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
  ELSE
    RAISE WARNING 'extension "vector" (pgvector) is not available on this server: memory.type=pgvector will not work. Use the pgvector/pgvector image or install postgresql-<major>-pgvector.';
  END IF;
END
$extensions$;
