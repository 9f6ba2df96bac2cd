-- Forwarding: where each form's leads go (destinations), one delivery per lead and destination, and
-- a log row per attempt. Tenant stays the leading key of every table and index.

CREATE TABLE destinations (
    tenant_id        TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    form_id          TEXT    NOT NULL,
    -- webhook | slack | email | sms; the same as target's "kind".
    kind             TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    -- The Target from edge/src/destination.rs, as JSON (URL, addresses or phone number).
    target           TEXT    NOT NULL,
    -- Webhooks only: the `whsec_` signing secret, and during a rotation the previous one until
    -- previous_secret_expires_at, so receivers get both signatures while they switch.
    secret                      TEXT,
    previous_secret             TEXT,
    previous_secret_expires_at  INTEGER,
    enabled          INTEGER NOT NULL DEFAULT 1,
    -- Why a destination stopped, e.g. 'gone' after a 410, 'operator' when switched off.
    disabled_reason  TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, form_id) REFERENCES forms (tenant_id, id)
);

CREATE INDEX destinations_by_form ON destinations (tenant_id, form_id);

CREATE TABLE deliveries (
    tenant_id         TEXT    NOT NULL,
    -- msg_...: the Standard Webhooks `webhook-id`, the same on every attempt and replay.
    id                TEXT    NOT NULL,
    lead_id           TEXT    NOT NULL,
    destination_id    TEXT    NOT NULL,
    event             TEXT    NOT NULL DEFAULT 'lead.created',
    -- pending (queued, not yet tried) | retrying | delivered | failed (refused for good) | dead
    -- (every attempt failed; the message went to the dead-letter queue)
    status            TEXT    NOT NULL DEFAULT 'pending',
    -- Attempts in the current round; a replay starts a new round. `total_attempts` numbers log rows.
    attempts          INTEGER NOT NULL DEFAULT 0,
    total_attempts    INTEGER NOT NULL DEFAULT 0,
    last_status_code  INTEGER,
    last_error        TEXT,
    next_attempt_at   INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    delivered_at      INTEGER,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX deliveries_by_lead ON deliveries (tenant_id, lead_id);
CREATE INDEX deliveries_by_status ON deliveries (tenant_id, status, next_attempt_at);
CREATE INDEX deliveries_by_destination ON deliveries (tenant_id, destination_id, created_at);

CREATE TABLE delivery_attempts (
    tenant_id        TEXT    NOT NULL,
    delivery_id      TEXT    NOT NULL,
    number           INTEGER NOT NULL,
    attempted_at     INTEGER NOT NULL,
    -- delivered | retry | exhausted | refused | gone | skipped
    outcome          TEXT    NOT NULL,
    status_code      INTEGER,
    duration_ms      INTEGER NOT NULL,
    -- What went wrong, for the operator: never a secret, never the lead's data.
    error            TEXT,
    next_attempt_at  INTEGER,
    PRIMARY KEY (tenant_id, delivery_id, number)
);
