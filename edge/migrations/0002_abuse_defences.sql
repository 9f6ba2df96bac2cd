-- Intake under abuse: per-form settings (rate limits, time-to-fill, Turnstile), spam flags on leads,
-- and idempotency keys so a retried submission stores one lead.

-- FormSettings from edge/src/settings.rs, as JSON. Private: never part of the public definition.
ALTER TABLE forms ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

-- A bot's submission is kept (so owners can audit the filter) but flagged, and never forwarded.
ALTER TABLE leads ADD COLUMN spam INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN spam_reason TEXT;

CREATE TABLE idempotency_keys (
    tenant_id     TEXT    NOT NULL,
    form_id       TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    -- SHA-256 of the request body, hex: the same key with another body is refused.
    request_hash  TEXT    NOT NULL,
    lead_id       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, form_id, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (tenant_id, created_at);
