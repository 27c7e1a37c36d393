-- campaignd schema for PostgreSQL (15+): the equivalent of schema.sql at version 4, table for table
-- and trigger for trigger, in the same order, so the two can be read side by side. The schema
-- version is recorded by the Rust code in campaignd_schema, not here.
-- Every row belongs to exactly one organisation; ids are lower-case hyphenated UUIDs (v7 when we
-- generate them); timestamps are RFC 3339 UTC text with milliseconds, so they sort as text.
-- Translation: TEXT is `COLLATE "C"` (byte order, as SQLite's BINARY), INTEGER is BIGINT, BLOB is
-- BYTEA; ifnull is coalesce; SQLite's booleans-as-integers are `(...)::int`; `unixepoch(t)` is
-- `floor(extract(epoch FROM t::timestamptz))::bigint`; each trigger is a PL/pgSQL function of the
-- same name plus a row-level CREATE TRIGGER.

CREATE TABLE organizations (
    id                TEXT COLLATE "C" PRIMARY KEY,
    name              TEXT COLLATE "C" NOT NULL,
    concurrency_limit BIGINT NOT NULL DEFAULT 10 CHECK (concurrency_limit BETWEEN 1 AND 10000),
    -- contacts of the organisation that are locked or in_progress (kept by the triggers below)
    active_calls      BIGINT NOT NULL DEFAULT 0,
    created_at        TEXT COLLATE "C" NOT NULL
);

-- Organisation API keys: `ak_<key_id>.<secret>`; only the SHA-256 of the secret is stored.
CREATE TABLE api_keys (
    key_id          TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    name            TEXT COLLATE "C" NOT NULL,
    secret_sha256   BYTEA NOT NULL,
    scopes          TEXT COLLATE "C" NOT NULL,  -- space-separated scope names
    created_at      TEXT COLLATE "C" NOT NULL,
    expires_at      TEXT COLLATE "C",
    revoked_at      TEXT COLLATE "C"
);
CREATE INDEX api_keys_by_org ON api_keys (organization_id);

CREATE TABLE users (
    name       TEXT COLLATE "C" PRIMARY KEY,
    created_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE memberships (
    user_name       TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    role            TEXT COLLATE "C" NOT NULL CHECK (role IN ('admin', 'viewer')),
    PRIMARY KEY (user_name, organization_id)
);

-- Personal access tokens: `pat_<token_id>.<secret>`; act with the user's role in the organisation
-- named by X-Anyreach-Org, narrowed to `scopes` when the token was created with a list.
CREATE TABLE personal_tokens (
    token_id      TEXT COLLATE "C" PRIMARY KEY,
    user_name     TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    secret_sha256 BYTEA NOT NULL,
    scopes        TEXT COLLATE "C",  -- NULL: every scope of the user's role
    created_at    TEXT COLLATE "C" NOT NULL,
    expires_at    TEXT COLLATE "C",
    revoked_at    TEXT COLLATE "C"
);

CREATE TABLE configurations (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    organization_id      TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    name                 TEXT COLLATE "C" NOT NULL,
    default_timezone     TEXT COLLATE "C" NOT NULL,
    default_windows      TEXT COLLATE "C" NOT NULL,  -- JSON, validated by the API
    overrides            TEXT COLLATE "C" NOT NULL,  -- JSON
    scheduled_windows    TEXT COLLATE "C",           -- JSON or NULL
    scheduled_overrides  TEXT COLLATE "C",           -- JSON or NULL
    default_country_code TEXT COLLATE "C" NOT NULL,
    max_attempts         BIGINT NOT NULL,
    retry_delay_minutes  BIGINT NOT NULL,
    agent_id             TEXT COLLATE "C",
    agent_version        BIGINT,
    agent_number         TEXT COLLATE "C",
    created_at           TEXT COLLATE "C" NOT NULL,
    updated_at           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX configurations_by_org ON configurations (organization_id, created_at DESC, id DESC);

CREATE TABLE campaigns (
    id               TEXT COLLATE "C" PRIMARY KEY,
    organization_id  TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    external_id      TEXT COLLATE "C",
    name             TEXT COLLATE "C" NOT NULL,
    status           TEXT COLLATE "C" NOT NULL CHECK (status IN ('active', 'paused', 'closed')),
    priority         BIGINT NOT NULL,
    configuration_id TEXT COLLATE "C" NOT NULL REFERENCES configurations (id),
    created_at       TEXT COLLATE "C" NOT NULL,
    updated_at       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX campaigns_by_org ON campaigns (organization_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX campaigns_external_id ON campaigns (organization_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX campaigns_by_configuration ON campaigns (configuration_id);

-- `seq` is the insertion order (contact lists are oldest first); `id` is unique per organisation.
-- Ad-hoc contacts (the `default` pseudo-campaign) have campaign_id NULL; `coalesce(campaign_id, '')`
-- gives them one external_id namespace per organisation.
-- seq is an identity (BY DEFAULT, so a copy can insert explicit values; it must then setval the
-- sequence past them). Unlike SQLite's rowid it never reuses the largest seq after a delete.
CREATE TABLE contacts (
    seq             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    id              TEXT COLLATE "C" NOT NULL,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    campaign_id     TEXT COLLATE "C" REFERENCES campaigns (id),
    external_id     TEXT COLLATE "C",
    phone_numbers   TEXT COLLATE "C" NOT NULL,  -- JSON array of E.164 strings
    data            TEXT COLLATE "C" NOT NULL,  -- compact JSON object, as sent
    timezone        TEXT COLLATE "C",
    scheduled_at    TEXT COLLATE "C",
    agent_id        TEXT COLLATE "C",
    agent_config    TEXT COLLATE "C",           -- compact JSON object
    agent_number    TEXT COLLATE "C",
    agent_version   BIGINT,
    initial_context TEXT COLLATE "C",
    status          TEXT COLLATE "C" NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'locked', 'in_progress', 'completed', 'exhausted')),
    attempt_count   BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT COLLATE "C",
    locked_at       TEXT COLLATE "C",
    created_at      TEXT COLLATE "C" NOT NULL,
    updated_at      TEXT COLLATE "C" NOT NULL,
    -- When a pending contact may be dialled next: its next attempt (else its creation) moved to
    -- the first opening of its calling windows; NULL when they never open. The dialer re-checks
    -- the window when it takes the contact, and moves it on if the window has closed since.
    dial_at         TEXT COLLATE "C"
);
CREATE UNIQUE INDEX contacts_id ON contacts (organization_id, id);
-- Scopes are compared as coalesce(campaign_id, '') (db.rs writes SQLite's `campaign_id IS ?` so),
-- which these indexes serve.
CREATE INDEX contacts_by_campaign ON contacts (organization_id, coalesce(campaign_id, ''), seq);
CREATE UNIQUE INDEX contacts_external_id ON contacts (organization_id, coalesce(campaign_id, ''), external_id)
    WHERE external_id IS NOT NULL;
-- What the dialing loop asks, so it never scans: a campaign's pending contacts due by now,
-- earliest first. New contacts append at its end (dial_at is about their creation time).
CREATE INDEX contacts_due ON contacts (organization_id, coalesce(campaign_id, ''), dial_at, seq)
    WHERE status = 'pending';
-- The calls up (few rows): stale locks and calls past --max-call-minutes.
CREATE INDEX contacts_dialing ON contacts (locked_at) WHERE status IN ('locked', 'in_progress');

CREATE TABLE attempts (
    id              TEXT COLLATE "C" PRIMARY KEY,
    contact_seq     BIGINT NOT NULL REFERENCES contacts (seq) ON DELETE CASCADE,
    phone_number    TEXT COLLATE "C" NOT NULL,
    conversation_id TEXT COLLATE "C",
    status          TEXT COLLATE "C" NOT NULL CHECK (status IN ('in_progress', 'completed', 'failed')),
    outcome         TEXT COLLATE "C" CHECK (outcome IN ('answered', 'voicemail', 'no_answer', 'busy', 'failed')),
    started_at      TEXT COLLATE "C" NOT NULL,
    ended_at        TEXT COLLATE "C"
);
CREATE INDEX attempts_by_contact ON attempts (contact_seq, started_at);
-- The Twilio placer's status callbacks name the call (its sid, the attempt's conversation_id).
CREATE INDEX attempts_by_conversation ON attempts (conversation_id)
    WHERE conversation_id IS NOT NULL;

-- Per-campaign counters, one row per campaign (`scope` = campaign id) and one per organisation's
-- ad-hoc contacts (`scope` = ''), kept exact by the triggers below so that stats and list totals
-- never scan the contacts table.
CREATE TABLE contact_counts (
    organization_id TEXT COLLATE "C" NOT NULL,
    scope           TEXT COLLATE "C" NOT NULL,
    pending         BIGINT NOT NULL DEFAULT 0,
    locked          BIGINT NOT NULL DEFAULT 0,
    in_progress     BIGINT NOT NULL DEFAULT 0,
    completed       BIGINT NOT NULL DEFAULT 0,
    exhausted       BIGINT NOT NULL DEFAULT 0,
    attempts        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, scope)
);

-- Inserts are counted by the code that inserts (store::contacts::upsert), once per batch: a
-- trigger would cost a statement per contact, and bulk upserts insert a thousand at a time. New
-- contacts are always `pending` (the insert sets no status), so they never change active_calls.

CREATE FUNCTION contacts_counted_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_counts SET
        pending     = pending     - (OLD.status = 'pending')::int,
        locked      = locked      - (OLD.status = 'locked')::int,
        in_progress = in_progress - (OLD.status = 'in_progress')::int,
        completed   = completed   - (OLD.status = 'completed')::int,
        exhausted   = exhausted   - (OLD.status = 'exhausted')::int
    WHERE organization_id = OLD.organization_id AND scope = coalesce(OLD.campaign_id, '');
    UPDATE organizations SET active_calls = active_calls - 1
    WHERE OLD.status IN ('locked', 'in_progress') AND id = OLD.organization_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER contacts_counted_on_delete AFTER DELETE ON contacts
FOR EACH ROW EXECUTE FUNCTION contacts_counted_on_delete();

CREATE FUNCTION contacts_counted_on_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_counts SET
        pending     = pending     + (NEW.status = 'pending')::int     - (OLD.status = 'pending')::int,
        locked      = locked      + (NEW.status = 'locked')::int      - (OLD.status = 'locked')::int,
        in_progress = in_progress + (NEW.status = 'in_progress')::int - (OLD.status = 'in_progress')::int,
        completed   = completed   + (NEW.status = 'completed')::int   - (OLD.status = 'completed')::int,
        exhausted   = exhausted   + (NEW.status = 'exhausted')::int   - (OLD.status = 'exhausted')::int
    WHERE organization_id = NEW.organization_id AND scope = coalesce(NEW.campaign_id, '');
    UPDATE organizations SET active_calls = active_calls
        + (NEW.status IN ('locked', 'in_progress'))::int - (OLD.status IN ('locked', 'in_progress'))::int
    WHERE id = NEW.organization_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER contacts_counted_on_status AFTER UPDATE OF status ON contacts
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION contacts_counted_on_status();


CREATE FUNCTION attempts_counted_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_counts SET attempts = attempts + 1
    WHERE (organization_id, scope) =
        (SELECT organization_id, coalesce(campaign_id, '') FROM contacts WHERE seq = NEW.contact_seq);
    RETURN NULL;
END;
$$;
CREATE TRIGGER attempts_counted_on_insert AFTER INSERT ON attempts
FOR EACH ROW EXECUTE FUNCTION attempts_counted_on_insert();

CREATE FUNCTION attempts_counted_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_counts SET attempts = attempts - 1
    WHERE (organization_id, scope) =
        (SELECT organization_id, coalesce(campaign_id, '') FROM contacts WHERE seq = OLD.contact_seq);
    RETURN NULL;
END;
$$;
CREATE TRIGGER attempts_counted_on_delete AFTER DELETE ON attempts
FOR EACH ROW EXECUTE FUNCTION attempts_counted_on_delete();

-- Calls over time (the timeline route): per scope (as contact_counts), counts of attempts started
-- (by started_at), attempts ended by outcome and contacts finished (by the ending attempt's
-- ended_at), in buckets of one minute (`span` 1) and of one hour (`span` 60). `start` is the
-- bucket's first minute since the Unix epoch, so buckets are UTC-aligned. Kept by the triggers
-- below in the same transaction as the attempt, so that 30 days by hour reads 720 rows however
-- many attempts the campaign has. Rows may hold zeros after deletes; readers treat them as absent.
-- (`x / 60 / span * span` is bigint division, truncating as SQLite's integer division does.)
CREATE TABLE timeline_counts (
    organization_id TEXT COLLATE "C" NOT NULL,
    scope           TEXT COLLATE "C" NOT NULL,
    span            BIGINT NOT NULL CHECK (span IN (1, 60)),
    start           BIGINT NOT NULL,
    started         BIGINT NOT NULL DEFAULT 0,
    answered        BIGINT NOT NULL DEFAULT 0,
    voicemail       BIGINT NOT NULL DEFAULT 0,
    no_answer       BIGINT NOT NULL DEFAULT 0,
    busy            BIGINT NOT NULL DEFAULT 0,
    failed          BIGINT NOT NULL DEFAULT 0,
    completed       BIGINT NOT NULL DEFAULT 0,
    exhausted       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, scope, span, start)
);

-- Attempts go before their contact, while the contact can still name the counters to decrement;
-- first its end leaves the timeline (found through its last attempt, still there). The attempts'
-- own AFTER DELETE triggers run at the end of the DELETE below, while the contact is still there.
CREATE FUNCTION contacts_delete_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, completed, exhausted)
    SELECT OLD.organization_id, coalesce(OLD.campaign_id, ''), s.span,
           floor(extract(epoch FROM a.ended_at::timestamptz))::bigint / 60 / s.span * s.span,
           -(OLD.status = 'completed')::int, -(OLD.status = 'exhausted')::int
    FROM (SELECT ended_at FROM attempts WHERE contact_seq = OLD.seq
          ORDER BY started_at DESC LIMIT 1) a,
         (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE OLD.status IN ('completed', 'exhausted') AND a.ended_at IS NOT NULL
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        completed = timeline_counts.completed + excluded.completed,
        exhausted = timeline_counts.exhausted + excluded.exhausted;
    DELETE FROM attempts WHERE contact_seq = OLD.seq;
    RETURN OLD;
END;
$$;
CREATE TRIGGER contacts_delete_attempts BEFORE DELETE ON contacts
FOR EACH ROW EXECUTE FUNCTION contacts_delete_attempts();

-- A contact that becomes (or stops being) completed or exhausted counts in the bucket where its
-- last attempt ended: the attempt that finished it (step 6 writes the attempt first).
CREATE FUNCTION contacts_timeline_on_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, completed, exhausted)
    SELECT NEW.organization_id, coalesce(NEW.campaign_id, ''), s.span,
           floor(extract(epoch FROM a.ended_at::timestamptz))::bigint / 60 / s.span * s.span,
           (NEW.status = 'completed')::int - (OLD.status = 'completed')::int,
           (NEW.status = 'exhausted')::int - (OLD.status = 'exhausted')::int
    FROM (SELECT ended_at FROM attempts WHERE contact_seq = NEW.seq
          ORDER BY started_at DESC LIMIT 1) a,
         (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE a.ended_at IS NOT NULL
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        completed = timeline_counts.completed + excluded.completed,
        exhausted = timeline_counts.exhausted + excluded.exhausted;
    RETURN NULL;
END;
$$;
CREATE TRIGGER contacts_timeline_on_status AFTER UPDATE OF status ON contacts
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
     AND (OLD.status IN ('completed', 'exhausted') OR NEW.status IN ('completed', 'exhausted')))
EXECUTE FUNCTION contacts_timeline_on_status();

CREATE FUNCTION attempts_timeline_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, started)
    SELECT c.organization_id, coalesce(c.campaign_id, ''), s.span,
           floor(extract(epoch FROM NEW.started_at::timestamptz))::bigint / 60 / s.span * s.span, 1
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = NEW.contact_seq
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        started = timeline_counts.started + excluded.started;
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, answered, voicemail, no_answer, busy, failed)
    SELECT c.organization_id, coalesce(c.campaign_id, ''), s.span,
           floor(extract(epoch FROM NEW.ended_at::timestamptz))::bigint / 60 / s.span * s.span,
           (NEW.outcome = 'answered')::int, (NEW.outcome = 'voicemail')::int,
           (NEW.outcome = 'no_answer')::int, (NEW.outcome = 'busy')::int,
           (NEW.outcome = 'failed')::int
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = NEW.contact_seq AND NEW.ended_at IS NOT NULL AND NEW.outcome IS NOT NULL
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        answered = timeline_counts.answered + excluded.answered,
        voicemail = timeline_counts.voicemail + excluded.voicemail,
        no_answer = timeline_counts.no_answer + excluded.no_answer,
        busy = timeline_counts.busy + excluded.busy,
        failed = timeline_counts.failed + excluded.failed;
    RETURN NULL;
END;
$$;
CREATE TRIGGER attempts_timeline_on_insert AFTER INSERT ON attempts
FOR EACH ROW EXECUTE FUNCTION attempts_timeline_on_insert();

-- A removed attempt (a stale claim, a webhook not delivered, a deleted contact) leaves the
-- timeline with it.
CREATE FUNCTION attempts_timeline_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, started)
    SELECT c.organization_id, coalesce(c.campaign_id, ''), s.span,
           floor(extract(epoch FROM OLD.started_at::timestamptz))::bigint / 60 / s.span * s.span, -1
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = OLD.contact_seq
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        started = timeline_counts.started + excluded.started;
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, answered, voicemail, no_answer, busy, failed)
    SELECT c.organization_id, coalesce(c.campaign_id, ''), s.span,
           floor(extract(epoch FROM OLD.ended_at::timestamptz))::bigint / 60 / s.span * s.span,
           -(OLD.outcome = 'answered')::int, -(OLD.outcome = 'voicemail')::int,
           -(OLD.outcome = 'no_answer')::int, -(OLD.outcome = 'busy')::int,
           -(OLD.outcome = 'failed')::int
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = OLD.contact_seq AND OLD.ended_at IS NOT NULL AND OLD.outcome IS NOT NULL
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        answered = timeline_counts.answered + excluded.answered,
        voicemail = timeline_counts.voicemail + excluded.voicemail,
        no_answer = timeline_counts.no_answer + excluded.no_answer,
        busy = timeline_counts.busy + excluded.busy,
        failed = timeline_counts.failed + excluded.failed;
    RETURN NULL;
END;
$$;
CREATE TRIGGER attempts_timeline_on_delete AFTER DELETE ON attempts
FOR EACH ROW EXECUTE FUNCTION attempts_timeline_on_delete();

-- An attempt that ends (or whose end is rewritten) moves its outcome into the end's bucket.
CREATE FUNCTION attempts_timeline_on_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, answered, voicemail, no_answer, busy, failed)
    SELECT c.organization_id, coalesce(c.campaign_id, ''), s.span,
           floor(extract(epoch FROM OLD.ended_at::timestamptz))::bigint / 60 / s.span * s.span,
           -(OLD.outcome = 'answered')::int, -(OLD.outcome = 'voicemail')::int,
           -(OLD.outcome = 'no_answer')::int, -(OLD.outcome = 'busy')::int,
           -(OLD.outcome = 'failed')::int
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = OLD.contact_seq AND OLD.ended_at IS NOT NULL AND OLD.outcome IS NOT NULL
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        answered = timeline_counts.answered + excluded.answered,
        voicemail = timeline_counts.voicemail + excluded.voicemail,
        no_answer = timeline_counts.no_answer + excluded.no_answer,
        busy = timeline_counts.busy + excluded.busy,
        failed = timeline_counts.failed + excluded.failed;
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, answered, voicemail, no_answer, busy, failed)
    SELECT c.organization_id, coalesce(c.campaign_id, ''), s.span,
           floor(extract(epoch FROM NEW.ended_at::timestamptz))::bigint / 60 / s.span * s.span,
           (NEW.outcome = 'answered')::int, (NEW.outcome = 'voicemail')::int,
           (NEW.outcome = 'no_answer')::int, (NEW.outcome = 'busy')::int,
           (NEW.outcome = 'failed')::int
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE c.seq = NEW.contact_seq AND NEW.ended_at IS NOT NULL AND NEW.outcome IS NOT NULL
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        answered = timeline_counts.answered + excluded.answered,
        voicemail = timeline_counts.voicemail + excluded.voicemail,
        no_answer = timeline_counts.no_answer + excluded.no_answer,
        busy = timeline_counts.busy + excluded.busy,
        failed = timeline_counts.failed + excluded.failed;
    RETURN NULL;
END;
$$;
CREATE TRIGGER attempts_timeline_on_end AFTER UPDATE OF outcome, ended_at ON attempts
FOR EACH ROW WHEN (OLD.outcome IS DISTINCT FROM NEW.outcome OR OLD.ended_at IS DISTINCT FROM NEW.ended_at)
EXECUTE FUNCTION attempts_timeline_on_end();

-- An attempt's start rewritten (never by campaignd itself; kept exact all the same).
-- The old and new start are summed per bucket first: PostgreSQL refuses an upsert that hits the
-- same row twice (both in one minute or one hour), where SQLite applies -1 then +1.
CREATE FUNCTION attempts_timeline_on_restart() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_counts (organization_id, scope, span, start, started)
    SELECT c.organization_id, coalesce(c.campaign_id, ''), s.span,
           floor(extract(epoch FROM t.at::timestamptz))::bigint / 60 / s.span * s.span,
           sum(t.delta)
    FROM contacts c, (SELECT 1 AS span UNION ALL SELECT 60) s,
         (SELECT OLD.started_at AS at, -1 AS delta UNION ALL SELECT NEW.started_at, 1) t
    WHERE c.seq = NEW.contact_seq
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        started = timeline_counts.started + excluded.started;
    RETURN NULL;
END;
$$;
CREATE TRIGGER attempts_timeline_on_restart AFTER UPDATE OF started_at ON attempts
FOR EACH ROW WHEN (OLD.started_at IS DISTINCT FROM NEW.started_at)
EXECUTE FUNCTION attempts_timeline_on_restart();

-- PostgreSQL only: the dialer's lease (src/store/lease.rs). One row: the node that dials, until
-- when (the database's clock).
CREATE TABLE dialer_lease (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
