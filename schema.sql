-- campaignd schema, applied at start-up (src/store/migrate.rs).
-- PRAGMA user_version holds the schema version; bump it with a migration step when this changes.
-- Every row belongs to exactly one organisation; ids are lower-case hyphenated UUIDs (v7 when we
-- generate them); timestamps are RFC 3339 UTC text with milliseconds, so they sort as text.

CREATE TABLE organizations (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    concurrency_limit INTEGER NOT NULL DEFAULT 10 CHECK (concurrency_limit BETWEEN 1 AND 10000),
    -- contacts of the organisation that are locked or in_progress (kept by the triggers below)
    active_calls      INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL
) STRICT;

-- Organisation API keys: `ak_<key_id>.<secret>`; only the SHA-256 of the secret is stored.
CREATE TABLE api_keys (
    key_id          TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    secret_sha256   BLOB NOT NULL,
    scopes          TEXT NOT NULL,  -- space-separated scope names
    created_at      TEXT NOT NULL,
    expires_at      TEXT,
    revoked_at      TEXT
) STRICT;
CREATE INDEX api_keys_by_org ON api_keys (organization_id);

CREATE TABLE users (
    name       TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE memberships (
    user_name       TEXT NOT NULL REFERENCES users (name),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    role            TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
    PRIMARY KEY (user_name, organization_id)
) STRICT, WITHOUT ROWID;

-- Personal access tokens: `pat_<token_id>.<secret>`; act with the user's role in the organisation
-- named by X-Anyreach-Org, narrowed to `scopes` when the token was created with a list.
CREATE TABLE personal_tokens (
    token_id      TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL REFERENCES users (name),
    secret_sha256 BLOB NOT NULL,
    scopes        TEXT,  -- NULL: every scope of the user's role
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    revoked_at    TEXT
) STRICT;

CREATE TABLE configurations (
    id                   TEXT PRIMARY KEY,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    name                 TEXT NOT NULL,
    default_timezone     TEXT NOT NULL,
    default_windows      TEXT NOT NULL,  -- JSON, validated by the API
    overrides            TEXT NOT NULL,  -- JSON
    scheduled_windows    TEXT,           -- JSON or NULL
    scheduled_overrides  TEXT,           -- JSON or NULL
    default_country_code TEXT NOT NULL,
    max_attempts         INTEGER NOT NULL,
    retry_delay_minutes  INTEGER NOT NULL,
    agent_id             TEXT,
    agent_version        INTEGER,
    agent_number         TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT;
CREATE INDEX configurations_by_org ON configurations (organization_id, created_at DESC, id DESC);

CREATE TABLE campaigns (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    external_id      TEXT,
    name             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('active', 'paused', 'closed')),
    priority         INTEGER NOT NULL,
    configuration_id TEXT NOT NULL REFERENCES configurations (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;
CREATE INDEX campaigns_by_org ON campaigns (organization_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX campaigns_external_id ON campaigns (organization_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX campaigns_by_configuration ON campaigns (configuration_id);

-- `seq` is the insertion order (contact lists are oldest first); `id` is unique per organisation.
-- Ad-hoc contacts (the `default` pseudo-campaign) have campaign_id NULL; `ifnull(campaign_id, '')`
-- gives them one external_id namespace per organisation.
CREATE TABLE contacts (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    campaign_id     TEXT REFERENCES campaigns (id),
    external_id     TEXT,
    phone_numbers   TEXT NOT NULL,  -- JSON array of E.164 strings
    data            TEXT NOT NULL,  -- compact JSON object, as sent
    timezone        TEXT,
    scheduled_at    TEXT,
    agent_id        TEXT,
    agent_config    TEXT,           -- compact JSON object
    agent_number    TEXT,
    agent_version   INTEGER,
    initial_context TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'locked', 'in_progress', 'completed', 'exhausted')),
    attempt_count   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    locked_at       TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    -- When a pending contact may be dialled next: its next attempt (else its creation) moved to
    -- the first opening of its calling windows; NULL when they never open. The dialer re-checks
    -- the window when it takes the contact, and moves it on if the window has closed since.
    dial_at         TEXT
) STRICT;
CREATE UNIQUE INDEX contacts_id ON contacts (organization_id, id);
CREATE INDEX contacts_by_campaign ON contacts (organization_id, campaign_id, seq);
CREATE UNIQUE INDEX contacts_external_id ON contacts (organization_id, ifnull(campaign_id, ''), external_id)
    WHERE external_id IS NOT NULL;
-- What the dialing loop asks, so it never scans: a campaign's pending contacts due by now,
-- earliest first. New contacts append at its end (dial_at is about their creation time).
CREATE INDEX contacts_due ON contacts (organization_id, campaign_id, dial_at, seq)
    WHERE status = 'pending';
-- The calls up (few rows): stale locks and calls past --max-call-minutes.
CREATE INDEX contacts_dialing ON contacts (locked_at) WHERE status IN ('locked', 'in_progress');

CREATE TABLE attempts (
    id              TEXT PRIMARY KEY,
    contact_seq     INTEGER NOT NULL REFERENCES contacts (seq) ON DELETE CASCADE,
    phone_number    TEXT NOT NULL,
    conversation_id TEXT,
    status          TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'failed')),
    outcome         TEXT CHECK (outcome IN ('answered', 'voicemail', 'no_answer', 'busy', 'failed')),
    started_at      TEXT NOT NULL,
    ended_at        TEXT
) STRICT;
CREATE INDEX attempts_by_contact ON attempts (contact_seq, started_at);
-- The Twilio placer's status callbacks name the call (its sid, the attempt's conversation_id).
CREATE INDEX attempts_by_conversation ON attempts (conversation_id)
    WHERE conversation_id IS NOT NULL;

-- Per-campaign counters, one row per campaign (`scope` = campaign id) and one per organisation's
-- ad-hoc contacts (`scope` = ''), kept exact by the triggers below so that stats and list totals
-- never scan the contacts table.
CREATE TABLE contact_counts (
    organization_id TEXT NOT NULL,
    scope           TEXT NOT NULL,
    pending         INTEGER NOT NULL DEFAULT 0,
    locked          INTEGER NOT NULL DEFAULT 0,
    in_progress     INTEGER NOT NULL DEFAULT 0,
    completed       INTEGER NOT NULL DEFAULT 0,
    exhausted       INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, scope)
) STRICT, WITHOUT ROWID;

-- Inserts are counted by the code that inserts (store::contacts::upsert), once per batch: a
-- trigger would cost a statement per contact, and bulk upserts insert a thousand at a time. New
-- contacts are always `pending` (the insert sets no status), so they never change active_calls.

CREATE TRIGGER contacts_counted_on_delete AFTER DELETE ON contacts BEGIN
    UPDATE contact_counts SET
        pending     = pending     - (OLD.status = 'pending'),
        locked      = locked      - (OLD.status = 'locked'),
        in_progress = in_progress - (OLD.status = 'in_progress'),
        completed   = completed   - (OLD.status = 'completed'),
        exhausted   = exhausted   - (OLD.status = 'exhausted')
    WHERE organization_id = OLD.organization_id AND scope = ifnull(OLD.campaign_id, '');
    UPDATE organizations SET active_calls = active_calls - 1
    WHERE OLD.status IN ('locked', 'in_progress') AND id = OLD.organization_id;
END;

CREATE TRIGGER contacts_counted_on_status AFTER UPDATE OF status ON contacts
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE contact_counts SET
        pending     = pending     + (NEW.status = 'pending')     - (OLD.status = 'pending'),
        locked      = locked      + (NEW.status = 'locked')      - (OLD.status = 'locked'),
        in_progress = in_progress + (NEW.status = 'in_progress') - (OLD.status = 'in_progress'),
        completed   = completed   + (NEW.status = 'completed')   - (OLD.status = 'completed'),
        exhausted   = exhausted   + (NEW.status = 'exhausted')   - (OLD.status = 'exhausted')
    WHERE organization_id = NEW.organization_id AND scope = ifnull(NEW.campaign_id, '');
    UPDATE organizations SET active_calls = active_calls
        + (NEW.status IN ('locked', 'in_progress')) - (OLD.status IN ('locked', 'in_progress'))
    WHERE id = NEW.organization_id;
END;


CREATE TRIGGER attempts_counted_on_insert AFTER INSERT ON attempts BEGIN
    UPDATE contact_counts SET attempts = attempts + 1
    WHERE (organization_id, scope) =
        (SELECT organization_id, ifnull(campaign_id, '') FROM contacts WHERE seq = NEW.contact_seq);
END;

CREATE TRIGGER attempts_counted_on_delete AFTER DELETE ON attempts BEGIN
    UPDATE contact_counts SET attempts = attempts - 1
    WHERE (organization_id, scope) =
        (SELECT organization_id, ifnull(campaign_id, '') FROM contacts WHERE seq = OLD.contact_seq);
END;

-- Calls over time (the timeline route): per scope (as contact_counts), counts of attempts started
-- (by started_at), attempts ended by outcome and contacts finished (by the ending attempt's
-- ended_at), in buckets of one minute (`span` 1) and of one hour (`span` 60). `start` is the
-- bucket's first minute since the Unix epoch, so buckets are UTC-aligned. Kept by the triggers
-- below in the same transaction as the attempt, so that 30 days by hour reads 720 rows however
-- many attempts the campaign has. Rows may hold zeros after deletes; readers treat them as absent.
CREATE TABLE timeline_counts (
    organization_id TEXT NOT NULL,
    scope           TEXT NOT NULL,
    span            INTEGER NOT NULL CHECK (span IN (1, 60)),
    start           INTEGER NOT NULL,
    started         INTEGER NOT NULL DEFAULT 0,
    answered        INTEGER NOT NULL DEFAULT 0,
    voicemail       INTEGER NOT NULL DEFAULT 0,
    no_answer       INTEGER NOT NULL DEFAULT 0,
    busy            INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    completed       INTEGER NOT NULL DEFAULT 0,
    exhausted       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, scope, span, start)
) STRICT, WITHOUT ROWID;

-- Attempts go before their contact, while the contact can still name the counters to decrement;
-- first its end leaves the timeline (found through its last attempt, still there).
CREATE TRIGGER contacts_delete_attempts BEFORE DELETE ON contacts BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, completed, exhausted)
    SELECT OLD.organization_id, ifnull(OLD.campaign_id, ''), s.span,
           unixepoch(a.ended_at) / 60 / s.span * s.span,
           -(OLD.status = 'completed'), -(OLD.status = 'exhausted')
    FROM (SELECT ended_at FROM attempts WHERE contact_seq = OLD.seq
          ORDER BY started_at DESC LIMIT 1) a,
         (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE OLD.status IN ('completed', 'exhausted') AND a.ended_at IS NOT NULL
    ON CONFLICT DO UPDATE SET completed = completed + excluded.completed,
                              exhausted = exhausted + excluded.exhausted;
    DELETE FROM attempts WHERE contact_seq = OLD.seq;
END;

-- A contact that becomes (or stops being) completed or exhausted counts in the bucket where its
-- last attempt ended: the attempt that finished it (step 6 writes the attempt first).
CREATE TRIGGER contacts_timeline_on_status AFTER UPDATE OF status ON contacts
WHEN OLD.status IS NOT NEW.status
     AND (OLD.status IN ('completed', 'exhausted') OR NEW.status IN ('completed', 'exhausted'))
BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, completed, exhausted)
    SELECT NEW.organization_id, ifnull(NEW.campaign_id, ''), s.span,
           unixepoch(a.ended_at) / 60 / s.span * s.span,
           (NEW.status = 'completed') - (OLD.status = 'completed'),
           (NEW.status = 'exhausted') - (OLD.status = 'exhausted')
    FROM (SELECT ended_at FROM attempts WHERE contact_seq = NEW.seq
          ORDER BY started_at DESC LIMIT 1) a,
         (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE a.ended_at IS NOT NULL
    ON CONFLICT DO UPDATE SET completed = completed + excluded.completed,
                              exhausted = exhausted + excluded.exhausted;
END;

CREATE TRIGGER attempts_timeline_on_insert AFTER INSERT ON attempts BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, started)
    SELECT c.organization_id, ifnull(c.campaign_id, ''), s.span,
           unixepoch(NEW.started_at) / 60 / s.span * s.span, 1
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = NEW.contact_seq
    ON CONFLICT DO UPDATE SET started = started + excluded.started;
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, answered, voicemail, no_answer, busy, failed)
    SELECT c.organization_id, ifnull(c.campaign_id, ''), s.span,
           unixepoch(NEW.ended_at) / 60 / s.span * s.span,
           NEW.outcome = 'answered', NEW.outcome = 'voicemail', NEW.outcome = 'no_answer',
           NEW.outcome = 'busy', NEW.outcome = 'failed'
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = NEW.contact_seq AND NEW.ended_at IS NOT NULL AND NEW.outcome IS NOT NULL
    ON CONFLICT DO UPDATE SET answered = answered + excluded.answered,
        voicemail = voicemail + excluded.voicemail, no_answer = no_answer + excluded.no_answer,
        busy = busy + excluded.busy, failed = failed + excluded.failed;
END;

-- A removed attempt (a stale claim, a webhook not delivered, a deleted contact) leaves the
-- timeline with it.
CREATE TRIGGER attempts_timeline_on_delete AFTER DELETE ON attempts BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, started)
    SELECT c.organization_id, ifnull(c.campaign_id, ''), s.span,
           unixepoch(OLD.started_at) / 60 / s.span * s.span, -1
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = OLD.contact_seq
    ON CONFLICT DO UPDATE SET started = started + excluded.started;
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, answered, voicemail, no_answer, busy, failed)
    SELECT c.organization_id, ifnull(c.campaign_id, ''), s.span,
           unixepoch(OLD.ended_at) / 60 / s.span * s.span,
           -(OLD.outcome = 'answered'), -(OLD.outcome = 'voicemail'), -(OLD.outcome = 'no_answer'),
           -(OLD.outcome = 'busy'), -(OLD.outcome = 'failed')
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = OLD.contact_seq AND OLD.ended_at IS NOT NULL AND OLD.outcome IS NOT NULL
    ON CONFLICT DO UPDATE SET answered = answered + excluded.answered,
        voicemail = voicemail + excluded.voicemail, no_answer = no_answer + excluded.no_answer,
        busy = busy + excluded.busy, failed = failed + excluded.failed;
END;

-- An attempt that ends (or whose end is rewritten) moves its outcome into the end's bucket.
CREATE TRIGGER attempts_timeline_on_end AFTER UPDATE OF outcome, ended_at ON attempts
WHEN OLD.outcome IS NOT NEW.outcome OR OLD.ended_at IS NOT NEW.ended_at BEGIN
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, answered, voicemail, no_answer, busy, failed)
    SELECT c.organization_id, ifnull(c.campaign_id, ''), s.span,
           unixepoch(OLD.ended_at) / 60 / s.span * s.span,
           -(OLD.outcome = 'answered'), -(OLD.outcome = 'voicemail'), -(OLD.outcome = 'no_answer'),
           -(OLD.outcome = 'busy'), -(OLD.outcome = 'failed')
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = OLD.contact_seq AND OLD.ended_at IS NOT NULL AND OLD.outcome IS NOT NULL
    ON CONFLICT DO UPDATE SET answered = answered + excluded.answered,
        voicemail = voicemail + excluded.voicemail, no_answer = no_answer + excluded.no_answer,
        busy = busy + excluded.busy, failed = failed + excluded.failed;
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, answered, voicemail, no_answer, busy, failed)
    SELECT c.organization_id, ifnull(c.campaign_id, ''), s.span,
           unixepoch(NEW.ended_at) / 60 / s.span * s.span,
           NEW.outcome = 'answered', NEW.outcome = 'voicemail', NEW.outcome = 'no_answer',
           NEW.outcome = 'busy', NEW.outcome = 'failed'
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = NEW.contact_seq AND NEW.ended_at IS NOT NULL AND NEW.outcome IS NOT NULL
    ON CONFLICT DO UPDATE SET answered = answered + excluded.answered,
        voicemail = voicemail + excluded.voicemail, no_answer = no_answer + excluded.no_answer,
        busy = busy + excluded.busy, failed = failed + excluded.failed;
END;

-- An attempt's start rewritten (never by campaignd itself; kept exact all the same).
CREATE TRIGGER attempts_timeline_on_restart AFTER UPDATE OF started_at ON attempts
WHEN OLD.started_at IS NOT NEW.started_at BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, started)
    SELECT c.organization_id, ifnull(c.campaign_id, ''), s.span,
           unixepoch(t.at) / 60 / s.span * s.span, t.delta
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s,
         (SELECT OLD.started_at AS at, -1 AS delta UNION ALL SELECT NEW.started_at, 1) t
    WHERE c.seq = NEW.contact_seq
    ON CONFLICT DO UPDATE SET started = started + excluded.started;
END;
