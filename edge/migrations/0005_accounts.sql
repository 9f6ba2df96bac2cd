-- Accounts: the people who sign in, the businesses they belong to, their sessions, and the links
-- emailed to them. A person is not under a tenant (one person may belong to several businesses), so
-- `users`, `sessions` and `links` are the only tables that do not lead with `tenant_id`; `members`
-- does, and every query for a business's data goes through it.
-- Tokens (session cookies, emailed links) are stored only as their SHA-256, in hex.

CREATE TABLE users (
    id                   TEXT    NOT NULL PRIMARY KEY,
    -- Canonical form (trimmed, ASCII lower case): one account per address.
    email                TEXT    NOT NULL UNIQUE,
    -- An Argon2id PHC string; NULL until the person sets a password (emailed links work without).
    password_hash        TEXT,
    created_at           INTEGER NOT NULL,
    password_changed_at  INTEGER
);

CREATE TABLE members (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    user_id     TEXT    NOT NULL REFERENCES users (id),
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

-- A person's businesses, for the business switcher.
CREATE INDEX members_by_user ON members (user_id, tenant_id);

CREATE TABLE sessions (
    id            TEXT    NOT NULL PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE,
    user_id       TEXT    NOT NULL REFERENCES users (id),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    -- The absolute end, however often the session is used; it also ends after a week unused.
    expires_at    INTEGER NOT NULL,
    user_agent    TEXT
);

CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Emailed one-time links: confirming a sign-up, signing in, accepting an invitation.
CREATE TABLE links (
    id             TEXT    NOT NULL PRIMARY KEY,
    token_hash     TEXT    NOT NULL UNIQUE,
    purpose        TEXT    NOT NULL CHECK (purpose IN ('sign_up', 'sign_in', 'invitation')),
    email          TEXT    NOT NULL,
    -- Sign-up: the business to create.
    business_name  TEXT,
    -- Invitation: the business and the role offered, and who offered it.
    tenant_id      TEXT,
    role           TEXT,
    invited_by     TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);

CREATE INDEX links_by_tenant ON links (tenant_id, created_at) WHERE tenant_id IS NOT NULL;
CREATE INDEX links_by_expiry ON links (expires_at);
