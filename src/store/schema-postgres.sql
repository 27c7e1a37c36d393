-- campaignd schema for PostgreSQL (15+): the equivalent of schema.sql at version 4, table for table
-- and trigger for trigger, in the same order, so the two can be read side by side. The schema
-- version is recorded by the Rust code in campaignd_schema, not here.
-- Every row belongs to exactly one organisation; ids are lower-case hyphenated UUIDs (v7 when we
-- generate them); timestamps are RFC 3339 UTC text with milliseconds, so they sort as text.
-- Translation: TEXT is `COLLATE "C"` (byte order, as SQLite's BINARY), INTEGER is BIGINT, BLOB is
-- BYTEA; ifnull is coalesce; SQLite's booleans-as-integers are `(...)::int`; `unixepoch(t)` is
-- `floor(extract(epoch FROM t::timestamptz))::bigint`; each trigger is a PL/pgSQL function of the
-- same name plus a CREATE TRIGGER.
-- One difference on purpose: the triggers on the dialer's path (a contact's status, an attempt
-- inserted or ended) run once per statement over its transition tables, where SQLite's run once
-- per row. The dialer changes hundreds of rows in one statement; counted row by row, each
-- counter row took hundreds of updates per transaction, and every update walks the versions the
-- transaction left before it (2,000 calls' changes took 3.2 s with row triggers, 0.24 s without
-- any). The counts they keep are the same.

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

-- (With schema.sql's contacts_timeline_on_status: a contact that becomes, or stops being,
-- completed or exhausted counts in the bucket where its last attempt ended, the attempt that
-- finished it; step 6 writes the attempt first.)
CREATE FUNCTION contacts_counted_on_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH moved AS MATERIALIZED (
        SELECT n.seq, n.organization_id, coalesce(n.campaign_id, '') AS scope, o.status AS was,
               n.status AS now
        FROM old_rows o JOIN new_rows n ON n.seq = o.seq
        WHERE o.status <> n.status),
    calls AS (
        UPDATE organizations SET active_calls = active_calls + d.delta
        FROM (SELECT organization_id,
                     sum((now IN ('locked', 'in_progress'))::int
                         - (was IN ('locked', 'in_progress'))::int) AS delta
              FROM moved GROUP BY 1) d
        WHERE id = d.organization_id AND d.delta <> 0),
    counted AS (
        UPDATE contact_counts c SET
            pending     = c.pending     + d.pending,
            locked      = c.locked      + d.locked,
            in_progress = c.in_progress + d.in_progress,
            completed   = c.completed   + d.completed,
            exhausted   = c.exhausted   + d.exhausted
        FROM (SELECT organization_id, scope,
                     sum((now = 'pending')::int     - (was = 'pending')::int)     AS pending,
                     sum((now = 'locked')::int      - (was = 'locked')::int)      AS locked,
                     sum((now = 'in_progress')::int - (was = 'in_progress')::int) AS in_progress,
                     sum((now = 'completed')::int   - (was = 'completed')::int)   AS completed,
                     sum((now = 'exhausted')::int   - (was = 'exhausted')::int)   AS exhausted
              FROM moved GROUP BY 1, 2) d
        WHERE c.organization_id = d.organization_id AND c.scope = d.scope)
    INSERT INTO timeline_counts (organization_id, scope, span, start, completed, exhausted)
    SELECT m.organization_id, m.scope, s.span,
           floor(extract(epoch FROM a.ended_at::timestamptz))::bigint / 60 / s.span * s.span,
           sum((m.now = 'completed')::int - (m.was = 'completed')::int),
           sum((m.now = 'exhausted')::int - (m.was = 'exhausted')::int)
    FROM moved m
         CROSS JOIN LATERAL (SELECT ended_at FROM attempts WHERE contact_seq = m.seq
                             ORDER BY started_at DESC LIMIT 1) a,
         (SELECT 1 AS span UNION ALL SELECT 60) s
    WHERE (m.was IN ('completed', 'exhausted') OR m.now IN ('completed', 'exhausted'))
      AND a.ended_at IS NOT NULL
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        completed = timeline_counts.completed + excluded.completed,
        exhausted = timeline_counts.exhausted + excluded.exhausted;
    RETURN NULL;
END;
$$;
CREATE TRIGGER contacts_counted_on_status AFTER UPDATE ON contacts
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION contacts_counted_on_status();


-- (With the attempts' count in contact_counts: schema.sql's attempts_counted_on_insert.)
CREATE FUNCTION attempts_timeline_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH added AS MATERIALIZED (
        SELECT c.organization_id, coalesce(c.campaign_id, '') AS scope, n.started_at,
               n.ended_at, n.outcome
        FROM new_rows n JOIN contacts c ON c.seq = n.contact_seq),
    counted AS (
        UPDATE contact_counts c SET attempts = c.attempts + d.added
        FROM (SELECT organization_id, scope, count(*) AS added FROM added GROUP BY 1, 2) d
        WHERE c.organization_id = d.organization_id AND c.scope = d.scope)
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, started, answered, voicemail, no_answer, busy, failed)
    SELECT organization_id, scope, span, start, sum(started), sum(answered), sum(voicemail),
           sum(no_answer), sum(busy), sum(failed)
    FROM (SELECT organization_id, scope, s.span,
                 floor(extract(epoch FROM started_at::timestamptz))::bigint / 60 / s.span * s.span
                     AS start,
                 1 AS started, 0 AS answered, 0 AS voicemail, 0 AS no_answer, 0 AS busy, 0 AS failed
          FROM added, (SELECT 1 AS span UNION ALL SELECT 60) s
          UNION ALL
          SELECT organization_id, scope, s.span,
                 floor(extract(epoch FROM ended_at::timestamptz))::bigint / 60 / s.span * s.span,
                 0, (outcome = 'answered')::int, (outcome = 'voicemail')::int,
                 (outcome = 'no_answer')::int, (outcome = 'busy')::int, (outcome = 'failed')::int
          FROM added, (SELECT 1 AS span UNION ALL SELECT 60) s
          WHERE ended_at IS NOT NULL AND outcome IS NOT NULL) t
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        started = timeline_counts.started + excluded.started,
        answered = timeline_counts.answered + excluded.answered,
        voicemail = timeline_counts.voicemail + excluded.voicemail,
        no_answer = timeline_counts.no_answer + excluded.no_answer,
        busy = timeline_counts.busy + excluded.busy,
        failed = timeline_counts.failed + excluded.failed;
    RETURN NULL;
END;
$$;
CREATE TRIGGER attempts_timeline_on_insert AFTER INSERT ON attempts
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION attempts_timeline_on_insert();

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

-- An attempt that ends (or whose end is rewritten) moves its outcome into the end's bucket; one
-- whose start is rewritten (never by campaignd itself; kept exact all the same) moves its start.
-- (schema.sql's attempts_timeline_on_end and attempts_timeline_on_restart.) The changes are summed
-- per bucket first: PostgreSQL refuses an upsert that hits the same row twice.
CREATE FUNCTION attempts_timeline_on_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS MATERIALIZED (
        SELECT c.organization_id, coalesce(c.campaign_id, '') AS scope,
               o.started_at AS old_start, n.started_at AS new_start,
               o.outcome IS DISTINCT FROM n.outcome OR o.ended_at IS DISTINCT FROM n.ended_at
                   AS end_moved,
               o.ended_at AS old_end, o.outcome AS old_outcome,
               n.ended_at AS new_end, n.outcome AS new_outcome
        FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN contacts c ON c.seq = n.contact_seq
        WHERE o.outcome IS DISTINCT FROM n.outcome OR o.ended_at IS DISTINCT FROM n.ended_at
           OR o.started_at IS DISTINCT FROM n.started_at),
    moves (organization_id, scope, at, sign, started, outcome) AS (
        SELECT organization_id, scope, old_end, -1, 0, old_outcome FROM changed
        WHERE end_moved AND old_end IS NOT NULL AND old_outcome IS NOT NULL
        UNION ALL
        SELECT organization_id, scope, new_end, 1, 0, new_outcome FROM changed
        WHERE end_moved AND new_end IS NOT NULL AND new_outcome IS NOT NULL
        UNION ALL
        SELECT organization_id, scope, old_start, -1, 1, '' FROM changed
        WHERE old_start IS DISTINCT FROM new_start
        UNION ALL
        SELECT organization_id, scope, new_start, 1, 1, '' FROM changed
        WHERE old_start IS DISTINCT FROM new_start)
    INSERT INTO timeline_counts
        (organization_id, scope, span, start, started, answered, voicemail, no_answer, busy, failed)
    SELECT organization_id, scope, s.span,
           floor(extract(epoch FROM at::timestamptz))::bigint / 60 / s.span * s.span,
           sum(sign * started),
           sum(sign * (outcome = 'answered')::int), sum(sign * (outcome = 'voicemail')::int),
           sum(sign * (outcome = 'no_answer')::int), sum(sign * (outcome = 'busy')::int),
           sum(sign * (outcome = 'failed')::int)
    FROM moves, (SELECT 1 AS span UNION ALL SELECT 60) s
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (organization_id, scope, span, start) DO UPDATE SET
        started = timeline_counts.started + excluded.started,
        answered = timeline_counts.answered + excluded.answered,
        voicemail = timeline_counts.voicemail + excluded.voicemail,
        no_answer = timeline_counts.no_answer + excluded.no_answer,
        busy = timeline_counts.busy + excluded.busy,
        failed = timeline_counts.failed + excluded.failed;
    RETURN NULL;
END;
$$;
CREATE TRIGGER attempts_timeline_on_end AFTER UPDATE ON attempts
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION attempts_timeline_on_end();

-- PostgreSQL only: the dialer's lease (src/store/lease.rs). One row: the node that dials, until
-- when (the database's clock).
CREATE TABLE dialer_lease (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
