-- API keys: how an integrator's program reaches a business's endpoints without a person's session.
-- Each belongs to one business and has a scope; its secret is stored only as its SHA-256, in hex.
-- The lookup by `token_hash` is how a request with a key learns its business (like a form's public
-- id); every other query names the tenant.

CREATE TABLE api_keys (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    id            TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    scope         TEXT    NOT NULL CHECK (scope IN ('read', 'read_write')),
    -- The secret's first characters, to tell keys apart in the list: never enough to use it.
    shown         TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    -- The member who created it (a user id); the key outlives their membership until revoked.
    created_by    TEXT,
    created_at    INTEGER NOT NULL,
    -- Written at most once a minute, so reading with a key costs no write.
    last_used_at  INTEGER,
    revoked_at    INTEGER,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX api_keys_live ON api_keys (tenant_id, created_at DESC) WHERE revoked_at IS NULL;
