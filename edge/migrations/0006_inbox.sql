-- The inbox: a lead's place in the business's pipeline (status, assignee, tags), its notes, and the
-- record of every change (who, what, when). Tenant leads every table and index.

-- The person the lead is assigned to (a member's user id), and the last change made in the inbox.
ALTER TABLE leads ADD COLUMN assignee_id TEXT;
ALTER TABLE leads ADD COLUMN updated_at INTEGER;
-- The lead's text values (name, email, phone, message, ...) in one column, for search. Written by
-- intake from now on; filled here for the leads stored before.
ALTER TABLE leads ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE leads SET search_text = coalesce(
    (SELECT group_concat(value, ' ') FROM json_each(leads.fields) WHERE type = 'text'), '');

-- The inbox's pages, newest first, with the spam folder apart: keyset paging on (created_at, id).
CREATE INDEX leads_inbox ON leads (tenant_id, spam, created_at DESC, id DESC);
CREATE INDEX leads_by_status ON leads (tenant_id, spam, status, created_at DESC, id DESC);
CREATE INDEX leads_by_assignee ON leads (tenant_id, assignee_id, created_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;

CREATE TABLE lead_tags (
    tenant_id  TEXT NOT NULL,
    lead_id    TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, lead_id, tag)
);
CREATE INDEX lead_tags_by_tag ON lead_tags (tenant_id, tag, lead_id);

CREATE TABLE lead_notes (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    lead_id     TEXT    NOT NULL,
    author_id   TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX lead_notes_by_lead ON lead_notes (tenant_id, lead_id, created_at);

-- Every change to a lead in the inbox: `kind` is status, assignee, tag_added, tag_removed, note,
-- released; `detail` is JSON ({"from": ..., "to": ...}, {"tag": ...}).
CREATE TABLE lead_events (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    lead_id     TEXT    NOT NULL,
    actor_id    TEXT,
    kind        TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX lead_events_by_lead ON lead_events (tenant_id, lead_id, created_at);
