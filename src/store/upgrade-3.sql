-- Schema version 3: the timeline's counters (docs/api.md, "Timeline"). Applied in the upgrade's
-- one transaction after version 2; the statements are those of schema.sql at version 3.

DROP TRIGGER contacts_delete_attempts;

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

-- What the triggers would have counted, from the attempts already there.
INSERT INTO timeline_counts (organization_id, scope, span, start, started, answered, voicemail,
                             no_answer, busy, failed, completed, exhausted)
SELECT org, scope, s.span, minute / s.span * s.span, sum(started), sum(answered), sum(voicemail),
       sum(no_answer), sum(busy), sum(failed), sum(completed), sum(exhausted)
FROM (
    SELECT c.organization_id AS org, ifnull(c.campaign_id, '') AS scope,
           unixepoch(a.started_at) / 60 AS minute, 1 AS started, 0 AS answered, 0 AS voicemail,
           0 AS no_answer, 0 AS busy, 0 AS failed, 0 AS completed, 0 AS exhausted
    FROM attempts a JOIN contacts c ON c.seq = a.contact_seq
    UNION ALL
    SELECT c.organization_id, ifnull(c.campaign_id, ''), unixepoch(a.ended_at) / 60, 0,
           a.outcome = 'answered', a.outcome = 'voicemail', a.outcome = 'no_answer',
           a.outcome = 'busy', a.outcome = 'failed', 0, 0
    FROM attempts a JOIN contacts c ON c.seq = a.contact_seq
    WHERE a.ended_at IS NOT NULL AND a.outcome IS NOT NULL
    UNION ALL
    SELECT organization_id, scope, unixepoch(ended_at) / 60, 0, 0, 0, 0, 0, 0,
           status = 'completed', status = 'exhausted'
    FROM (SELECT c.organization_id, ifnull(c.campaign_id, '') AS scope, c.status,
                 (SELECT ended_at FROM attempts WHERE contact_seq = c.seq
                  ORDER BY started_at DESC LIMIT 1) AS ended_at
          FROM contacts c WHERE c.status IN ('completed', 'exhausted'))
    WHERE ended_at IS NOT NULL
), (SELECT 1 AS span UNION ALL SELECT 60) s
GROUP BY org, scope, s.span, minute / s.span * s.span;
