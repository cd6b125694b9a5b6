-- Schemas and least-privilege login roles of the four Mosaic services.
--
-- Each service gets schema <svc> and role <prefix><svc> that can log in, connect to the database,
-- and use and create objects in its own schema only: no rights on the other three schemas and
-- no CREATE on schema public. Its search_path is "<svc>, public" (public holds pgvector's types).
-- The schemas stay owned by the user running this file; each service owns the tables its own
-- TypeORM migrations create.
--
-- psql variables:
--   prefix            role name prefix                         (default: mosaic_)
--   db                database the roles may connect to         (default: the current database)
--   ca_password, grants_password, audit_password, gateway_password                  (required)
--
-- Usage (the passwords never appear on a command line in production: 10-schemas-and-roles.sh
-- reads them from the environment with \getenv):
--   psql -v ON_ERROR_STOP=1 -d mosaic -v prefix=mosaic_ -v ca_password=... -v grants_password=... \
--        -v audit_password=... -v gateway_password=... -f infra/postgres/roles.sql
--
-- Idempotent: running it again re-applies the passwords (a rotation) and the grants.
--
-- The postgres image's entrypoint also runs every *.sql file of /docker-entrypoint-initdb.d on its
-- own, without variables. Then none of the password variables is set and this file does nothing:
-- 10-schemas-and-roles.sh, which sorts before it, has already applied it.

\set ON_ERROR_STOP on
\set QUIET on

\if :{?ca_password}
\elif :{?grants_password}
\elif :{?audit_password}
\elif :{?gateway_password}
\else
  \echo 'roles.sql: no password variables set, nothing to do (10-schemas-and-roles.sh applies this file with them)'
  \quit
\endif

\if :{?ca_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'roles.sql: psql variable ca_password is not set (pass -v ca_password=...)'; END $$;
\endif
\if :{?grants_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'roles.sql: psql variable grants_password is not set (pass -v grants_password=...)'; END $$;
\endif
\if :{?audit_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'roles.sql: psql variable audit_password is not set (pass -v audit_password=...)'; END $$;
\endif
\if :{?gateway_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'roles.sql: psql variable gateway_password is not set (pass -v gateway_password=...)'; END $$;
\endif
\if :{?prefix}
\else
  \set prefix mosaic_
\endif
\if :{?db}
\else
  \set db :DBNAME
\endif

-- Keep the passwords out of the client's error output and, as superuser, out of the server log
-- (statement text, error context).
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT current_setting('is_superuser') = 'on' AS mosaic_is_superuser \gset
\if :mosaic_is_superuser
  SET log_statement = 'none';
  SET log_min_error_statement = 'panic';
  SET log_error_verbosity = 'terse';
\endif

-- psql variables are not expanded inside a DO block: hand them over as session settings.
SET mosaic.role_prefix = :'prefix';
SET mosaic.database = :'db';
SET mosaic.password_ca = :'ca_password';
SET mosaic.password_grants = :'grants_password';
SET mosaic.password_audit = :'audit_password';
SET mosaic.password_gateway = :'gateway_password';

DO $roles$
DECLARE
  services constant text[] := ARRAY['ca', 'grants', 'audit', 'gateway'];
  prefix constant text := current_setting('mosaic.role_prefix');
  db constant text := current_setting('mosaic.database');
  svc text;
  other text;
  role_name text;
BEGIN
  IF prefix !~ '^[a-z_][a-z0-9_]*$' THEN
    RAISE EXCEPTION 'roles.sql: prefix % must match ^[a-z_][a-z0-9_]*$', quote_literal(prefix);
  END IF;

  -- Nobody but the granted roles (and superusers) may connect or create temporary tables.
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', db);
  -- PostgreSQL 15+ already defaults to this; older clusters let every role create in public.
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;

  FOREACH svc IN ARRAY services LOOP
    role_name := prefix || svc;

    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
      EXECUTE format('CREATE ROLE %I', role_name);
    END IF;
    -- Also resets the attributes of a role that existed before with more rights.
    EXECUTE format(
      'ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS PASSWORD %L',
      role_name,
      current_setting('mosaic.password_' || svc)
    );
    EXECUTE format('ALTER ROLE %I SET search_path = %I, public', role_name, svc);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', db, role_name);

    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', svc);
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', svc);
    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', svc, role_name);
  END LOOP;

  -- No rights on the other services' schemas, including anything granted there by hand before.
  FOREACH svc IN ARRAY services LOOP
    FOREACH other IN ARRAY services LOOP
      CONTINUE WHEN other = svc;
      EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', other, prefix || svc);
      EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', other, prefix || svc);
      EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', other, prefix || svc);
    END LOOP;
  END LOOP;
END
$roles$;

RESET mosaic.password_ca;
RESET mosaic.password_grants;
RESET mosaic.password_audit;
RESET mosaic.password_gateway;
\echo 'roles.sql: schemas ca, grants, audit, gateway and roles ':prefix'{ca,grants,audit,gateway} are in place in database ':db
