-- 0001: users, registrations (the location table's record), API tokens.
-- Applied by pbxd (db.migrate) or `pbxd --migrate` inside a transaction;
-- schema_migrations itself is created by the migrator.

CREATE TABLE users (
    extension          text PRIMARY KEY
                       CHECK (extension ~ '^[0-9]{2,10}$'),
    display_name       text NOT NULL DEFAULT '',
    email              text,
    enabled            boolean NOT NULL DEFAULT true,
    -- Digest secrets exist only as HA1 hashes for <realm>.
    realm              text NOT NULL,
    ha1_md5            text NOT NULL,
    ha1_sha256         text NOT NULL,
    -- NULL: the global auth.algorithms / registrar.max_contacts apply.
    auth_algorithms    text CHECK (auth_algorithms IN
                       ('MD5', 'SHA-256', 'SHA-256,MD5', 'MD5,SHA-256')),
    max_contacts       integer CHECK (max_contacts BETWEEN 1 AND 100),
    voicemail_pin_hash text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- One row per binding (RFC 3261 10.3). pbxd keeps the live table in
-- memory and writes it through here in batches; <id> is chosen by the
-- node that took the REGISTER.
CREATE TABLE registrations (
    id            uuid PRIMARY KEY,
    extension     text NOT NULL REFERENCES users (extension)
                  ON DELETE CASCADE,
    contact       text NOT NULL,
    q             real NOT NULL DEFAULT 1.0,
    expires_at    timestamptz NOT NULL,
    source_ip     inet,
    source_port   integer,
    transport     text,
    path          text,
    user_agent    text,
    call_id       text NOT NULL,
    cseq          bigint NOT NULL,
    node          text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registrations_extension ON registrations (extension);
CREATE INDEX registrations_expires_at ON registrations (expires_at);

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);

-- Every change to a user reaches the loops of all nodes as
-- "<INSERT|UPDATE|DELETE> <extension>" on channel pbx_users.
CREATE FUNCTION pbx_users_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('pbx_users', 'DELETE ' || OLD.extension);
    ELSE
        PERFORM pg_notify('pbx_users', TG_OP || ' ' || NEW.extension);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION pbx_users_notify();

-- Registrations removed by an administrator (not by the registrar, whose
-- own writes would echo back at every REGISTER) are announced as
-- "DELETE <extension> <id>" on channel pbx_registrations. The registrar's
-- write-behind connection sets pbx.origin = 'registrar' to stay quiet.
CREATE FUNCTION pbx_registrations_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('pbx.origin', true) = 'registrar' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('pbx_registrations',
                      'DELETE ' || OLD.extension || ' ' || OLD.id);
    RETURN NULL;
END $$;

CREATE TRIGGER registrations_notify AFTER DELETE ON registrations
    FOR EACH ROW EXECUTE FUNCTION pbx_registrations_notify();
