-- pgbench script: the SQL of ONE web-form intake, statement for statement, in the order the hub
-- issues it for a brand-new lead (unique phone + unique email, no Idempotency-Key, round robin over
-- managers). bench/run.js uses it as the database's own ceiling for the intake transaction. Keep it
-- in step with the intake path when that changes (bench/run.js warns when the hub's measured round
-- trips per lead differ from this script's statements):
--   libs/core/src/intake/intake.service.ts          ingestInTransaction / claimReceipt
--   libs/core/src/contacts/contact-resolver.ts      identityMatchesSql (read in the claim statement; a new
--                                                   contact is only planned)
--   libs/core/src/assignment/assignment.service.ts  roundRobin / claimCapacity / effects
--   libs/core/src/intake/lead-writes.ts             flush: every write of the lead in ONE statement
--                                                   (the task with its SLA instants, sla/sla-schedule.ts)
--   libs/core/src/database/json-rows.ts             insertFromJson (jsonb_to_recordset)
-- The web form itself is looked up by key before the transaction, but WebFormsService caches it for
-- 5 s, so under load that is ~0 round trips per lead: round trips per lead = statements below. The
-- same holds for the entry stage (and its rules) a new deal is written with: StageAutomation caches
-- it for 5 s; here the two ids are subqueries inside the deal's INSERT (the hub passes them as
-- parameters, with the stage key, so the deal's stage-sync trigger does not fire for either).
--
-- The statement texts are the hub's (captured from the running hub); each $n parameter is replaced by
-- an SQL expression that yields the same kind of value (ids: md5(...)::uuid where the hub uses
-- crypto.randomUUID(); JSON parameters built by concatenation, about as long as the hub's).
-- Run with -M extended: node-pg sends every parameterised query as an unnamed extended-protocol
-- statement (Parse/Bind/Execute, re-planned each time), exactly what pgbench's "extended" mode does.
--
-- Paths (what the hub does for a new lead, by the managers' state):
--   capacity=0            managers without a limit: no lock, no count                  6 statements
--   capacity=1, full=0    savepoint, the chosen manager's row locked with its
--                         capacity_used read                                           8 statements
--   capacity=1, full=1    every manager at capacity: no manager is eligible, the deal
--                         goes to the unassigned queue (owner NULL, admins notified)   6 statements
-- (Not modelled: a manager that filled up between the listing and the locked read, after which the
-- hub draws another turn with one more nextval round trip; rare.)
--
-- Variables given by bench/run.js with -D:
--   formid  the web form's id           mids      '{id1,id2,...}' active managers (role manager), by id
--   nm      number of managers           capacity  1 when the managers have a capacity limit, else 0
--   full    1 when every manager is at capacity (capacity=1 only; run.js reads it from the database)
--   run     0..8, distinct per pgbench invocation on the same database (keeps values unique)
--   k       0 (per-client counter start; pgbench keeps variables between a client's transactions)
-- Phones are +79<run><client 2 digits><counter 6 digits>: never +7999..., which the HTTP run uses.

\set k :k + 1
\set n :run * 100000000 + :client_id * 1000000 + :k

-- BEGIN (TypeORM: START TRANSACTION)
BEGIN;

-- intake: all advisory locks in one statement, one global order: the submission's dedupe key
-- (form id + content hash) and every identity
SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))
  FROM (SELECT unnest(ARRAY['email:' || 'pgb' || :n::text || '@bench.local',
                            'phone:+79' || lpad(:n::text, 9, '0'),
                            'receipt:' || 'web_form:' || :formid::text || ':' || md5(:n::text)]::text[]) AS k ORDER BY 1) AS keys;

-- intake.claimReceipt: same submission within SUBMISSION_DEDUPE_SECONDS? if not, the receipt row with
-- the raw submission (~450 bytes of JSON, like the hub's)
WITH recent AS (
  SELECT result FROM inbound_receipt
   WHERE (:formid::text || ':' || md5(:n::text))::text IS NOT NULL AND channel = 'web_form'
     AND dedupe_key = :formid::text || ':' || md5(:n::text) AND status = 'processed'
     AND received_at > now() - make_interval(secs => 300)
   ORDER BY received_at DESC LIMIT 1
), claimed AS (
  INSERT INTO inbound_receipt (channel, external_id, dedupe_key, status, raw, received_at)
  SELECT 'web_form', 'sub:' || md5('sub' || :n::text)::uuid, :formid::text || ':' || md5(:n::text), 'processed',
         ('{"formId":"' || :formid::text || '","formName":"Website form","submissionId":"' || md5('sub' || :n::text)::uuid
          || '","idempotencyKey": null,"honeypotField":"_gotcha","body":{"name":"Bench Lead ' || :n::text
          || '","phone":"+79' || lpad(:n::text, 9, '0') || '","email":"pgb' || :n::text
          || '@bench.local","message":"Please call me back about the offer","utm_source":"bench"},"referrer": null,"receivedAt":'
          || to_json(now())::text || '}')::jsonb,
         now()
   WHERE NOT EXISTS (SELECT 1 FROM recent)
  ON CONFLICT (channel, external_id) DO NOTHING RETURNING id
)
SELECT (SELECT id FROM claimed) AS receipt_id, (SELECT result FROM recent) AS recent_result,
       -- contact resolver's lookup, in the same statement: who has these identities? (nobody: the
       -- new contact is written with the rest)
       (SELECT json_agg(m) FROM (SELECT ci.contact_id, ci.kind, ci.value, c.created_at
            FROM contact_identity ci JOIN contact c ON c.id = ci.contact_id
           WHERE (ci.kind, ci.value) IN (SELECT * FROM unnest(ARRAY['phone', 'email']::text[],
                                                             ARRAY['+79' || lpad(:n::text, 9, '0'), 'pgb' || :n::text || '@bench.local']::text[]))) AS m) AS matches
\gset

-- assignment.roundRobin: managers with the open deals they hold against their capacity (capacity_used,
-- kept by the database's deal triggers) and the turn (nextval in an InitPlan, drawn once); 4 rows, \aset
-- keeps the last (turn is the same in every row)
SELECT m.id, m.name, m.available, m.shift, m.timezone, m.capacity, m.weight, m.capacity_used,
       (SELECT nextval('assignment_turn_seq')) AS turn
  FROM manager m WHERE m.active AND m.receives_leads ORDER BY m.id
\aset mgr_
\set pick 1 + :mgr_turn % :nm
-- owner: index into mids, 0 (= NULL owner) when every manager is at capacity
\set oi :pick * (1 - :full)

-- assignment.claimCapacity (a manager with a capacity limit was chosen): a savepoint (rolled back to
-- give the lock up when the manager turns out full; left to the commit otherwise), then the row locked
-- until commit and its capacity_used read as the transaction it waited for left it
\if :capacity
\if :full
\else
SAVEPOINT claim_capacity;
SELECT capacity, capacity_used FROM manager WHERE id = (:mids::uuid[])[:oi::int] FOR NO KEY UPDATE;
\endif
\endif

-- LeadWrites.flush: contact (with its owner), identities, deal (with owner), callback task (with
-- assignee), timeline entries "lead", "task_created", "assigned" (or "unassigned"), the outbox notice
-- (owner, or admins for the queue) and the receipt result, in ONE statement
WITH w0 AS (INSERT INTO contact (id, name, owner_id, last_activity_at)
            VALUES (md5('contact' || :n::text)::uuid, 'Bench Lead ' || :n::text, (:mids::uuid[])[:oi::int], now())),
w1 AS (INSERT INTO contact_identity (contact_id, kind, value, details) SELECT contact_id, kind, value, details FROM jsonb_to_recordset((
         '[{"contact_id":"' || md5('contact' || :n::text)::uuid || '","kind":"phone","value":"+79' || lpad(:n::text, 9, '0')
         || '","details":{"input":"+79' || lpad(:n::text, 9, '0') || '"}},{"contact_id":"' || md5('contact' || :n::text)::uuid
         || '","kind":"email","value":"pgb' || :n::text || '@bench.local","details":{}}]')::jsonb) AS x(contact_id uuid, kind text, value text, details jsonb)),
w2 AS (INSERT INTO deal (id, contact_id, owner_id, stage, pipeline_id, stage_id, source_channel, source, title)
         VALUES (md5('deal' || :n::text)::uuid, md5('contact' || :n::text)::uuid, (:mids::uuid[])[:oi::int], 'new',
                 (SELECT id FROM pipeline WHERE is_default), (SELECT s.id FROM stage s JOIN pipeline p ON p.id = s.pipeline_id WHERE p.is_default AND s.kind = 'open' ORDER BY s.position LIMIT 1),
                 'web_form',
                 ('{"formId":"' || :formid::text || '","formName":"Website form","utm":{"source":"bench"}}')::jsonb,
                 'Bench Lead ' || :n::text || ' — Website form')),
w3 AS (INSERT INTO task (id, deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at, created_at)
         VALUES (md5('task' || :n::text)::uuid, md5('deal' || :n::text)::uuid, md5('contact' || :n::text)::uuid, (:mids::uuid[])[:oi::int],
                 'callback', 'Call back Bench Lead ' || :n::text, now() + interval '15 minutes', now() + interval '10 minutes',
                 now() + interval '25 minutes', now())),
w4 AS (INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload) SELECT contact_id, deal_id, kind, channel, actor_id, occurred_at, payload FROM jsonb_to_recordset((
         '[{"contact_id":"' || md5('contact' || :n::text)::uuid || '","deal_id":"' || md5('deal' || :n::text)::uuid
         || '","kind":"lead","channel":"web_form","actor_id": null,"occurred_at":' || to_json(now())::text
         || ',"payload":{"receiptId":"' || :receipt_id::text || '","name":"Bench Lead ' || :n::text
         || '","message":"Please call me back about the offer","subject": null,"identities":[{"kind":"phone","value":"+79'
         || lpad(:n::text, 9, '0') || '"},{"kind":"email","value":"pgb' || :n::text
         || '@bench.local"}],"source":{"formId":"' || :formid::text || '","formName":"Website form","utm":{"source":"bench"}},"fields":{}}},'
         || '{"contact_id":"' || md5('contact' || :n::text)::uuid || '","deal_id":"' || md5('deal' || :n::text)::uuid
         || '","kind":"task_created","channel": null,"actor_id": null,"occurred_at":' || to_json(now())::text
         || ',"payload":{"taskId":"' || md5('task' || :n::text)::uuid || '","kind":"callback","dueAt":' || to_json(now() + interval '15 minutes')::text
         || ',"slaMinutes": 15}},'
         || '{"contact_id":"' || md5('contact' || :n::text)::uuid || '","deal_id":"' || md5('deal' || :n::text)::uuid
         || CASE WHEN :oi::int = 0
                 THEN '","kind":"unassigned","channel": null,"actor_id": null,"occurred_at":' || to_json(now())::text
                      || ',"payload":{"rule":"queue","reason":"no eligible manager: Bench Manager 1 at capacity, Bench Manager 2 at capacity, Bench Manager 3 at capacity, Bench Manager 4 at capacity; waiting in the unassigned queue"}}]'
                 ELSE '","kind":"assigned","channel": null,"actor_id": null,"occurred_at":' || to_json(now())::text
                      || ',"payload":{"managerId":' || to_json((:mids::uuid[])[:oi::int])::text
                      || ',"managerName":"Bench Manager 2","rule":"round_robin","reason":"round robin, ' || :nm::text || ' eligible of ' || :nm::text || '"}}]'
            END)::jsonb) AS x(contact_id uuid, deal_id uuid, kind text, channel text, actor_id uuid, occurred_at timestamptz, payload jsonb)),
w5 AS (INSERT INTO outbox (kind, payload, next_attempt_at) SELECT kind, payload, next_attempt_at FROM jsonb_to_recordset((
         CASE WHEN :oi::int = 0
              THEN '[{"kind":"notify.admins","payload":{"event":"deal_unassigned","dealId":"' || md5('deal' || :n::text)::uuid
                   || '","contactId":"' || md5('contact' || :n::text)::uuid
                   || '","reason":"no eligible manager: Bench Manager 1 at capacity, Bench Manager 2 at capacity, Bench Manager 3 at capacity, Bench Manager 4 at capacity; waiting in the unassigned queue","taskId":"'
              ELSE '[{"kind":"notify.manager","payload":{"event":"lead_assigned","managerId":' || to_json((:mids::uuid[])[:oi::int])::text
                   || ',"dealId":"' || md5('deal' || :n::text)::uuid || '","contactId":"' || md5('contact' || :n::text)::uuid || '","taskId":"'
         END
         || md5('task' || :n::text)::uuid || '","leadId":"' || :receipt_id::text || '"},"next_attempt_at":' || to_json(now())::text || '}]')::jsonb)
         AS x(kind text, payload jsonb, next_attempt_at timestamptz)),
w6 AS (UPDATE inbound_receipt SET status = 'processed',
         result = ('{"leadId":"' || :receipt_id::text || '","contactId":"' || md5('contact' || :n::text)::uuid
                   || '","dealId":"' || md5('deal' || :n::text)::uuid || '","taskId":"' || md5('task' || :n::text)::uuid
                   || '","ownerId":' || coalesce(to_json((:mids::uuid[])[:oi::int])::text, 'null') || ',"duplicate": false,"repeatLead": false}')::jsonb,
         error = NULL, processed_at = now()
       WHERE id = :receipt_id::uuid) SELECT 1;

COMMIT;
