-- The core data model. Tenant (a business) is the leading key of every table and index, so a large
-- tenant can later move to a database of its own without reshaping anything.
-- Times are Unix epoch milliseconds (INTEGER).

CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE forms (
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    id               TEXT    NOT NULL,
    -- The FormDefinition from `shared`, as JSON.
    definition       TEXT    NOT NULL,
    -- JSON array of origins allowed to embed and submit, e.g. ["https://roofer.example"]; "*" for any.
    allowed_origins  TEXT    NOT NULL DEFAULT '[]',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Form ids are public (they appear in embed snippets), so they are unique across tenants.
CREATE UNIQUE INDEX forms_by_public_id ON forms (id);

CREATE TABLE leads (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    form_id       TEXT    NOT NULL,
    -- Validated field values as a JSON object keyed by field name.
    fields        TEXT    NOT NULL,
    -- Copies of the first email and phone field, normalised, for search, reply and erasure by contact.
    email         TEXT,
    phone         TEXT,
    -- JSON array of consent evidence: the exact wording and version each consent field showed.
    consents      TEXT    NOT NULL DEFAULT '[]',
    page_url      TEXT,
    referrer      TEXT,
    utm_source    TEXT,
    utm_medium    TEXT,
    utm_campaign  TEXT,
    utm_term      TEXT,
    utm_content   TEXT,
    status        TEXT    NOT NULL DEFAULT 'new',
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, form_id) REFERENCES forms (tenant_id, id)
);

CREATE INDEX leads_by_form ON leads (tenant_id, form_id, created_at);
CREATE INDEX leads_by_created ON leads (tenant_id, created_at);
CREATE INDEX leads_by_email ON leads (tenant_id, email) WHERE email IS NOT NULL;
CREATE INDEX leads_by_phone ON leads (tenant_id, phone) WHERE phone IS NOT NULL;
