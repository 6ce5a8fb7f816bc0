-- pgbench script: the SQL of ONE web-form intake, statement for statement, in the order the hub
-- issues it for a brand-new lead (unique phone + unique email, no Idempotency-Key, round robin over
-- managers with or without a capacity limit: -D capacity=1|0). bench/run.js uses it as the database's
-- own ceiling for the intake transaction. Keep it in step with the intake path when that changes
-- (bench/run.js warns when the hub's measured round trips per lead differ from this script's):
--   libs/core/src/intake/intake.service.ts       ingestInTransaction / claimReceipt
--   libs/core/src/contacts/contact-resolver.ts   resolve
--   libs/core/src/assignment/assignment.service.ts  roundRobin / apply
--   libs/core/src/timeline/timeline.service.ts   record  (INSERT activity)
--   libs/core/src/outbox/outbox.service.ts       enqueue (INSERT outbox)
-- Not included: the web_form lookup by key (WebFormsService.findActiveByKey), which the endpoint
-- runs before and outside the transaction (1 extra round trip per request in the hub).
--
-- Run with -M extended: node-pg sends every parameterised query as an unnamed extended-protocol
-- statement (Parse/Bind/Execute, re-planned each time), exactly what pgbench's "extended" mode does.
--
-- Variables given by bench/run.js with -D:
--   formid  the web form's id           mids      '{id1,id2,...}' active managers (role manager), by id
--   nm      number of managers           capacity  1 when the managers have a capacity limit, else 0
--   run     0..8, distinct per pgbench invocation on the same database (keeps values unique)
--   k       0 (per-client counter start; pgbench keeps variables between a client's transactions)
-- Phones are +79<run><client 2 digits><counter 6 digits>: never +7999..., which the HTTP run uses.

\set k :k + 1
\set n :run * 100000000 + :client_id * 1000000 + :k

-- BEGIN (TypeORM: START TRANSACTION)
BEGIN;

-- intake: serialise identical submissions (dedupe key = form id + content hash)
SELECT pg_advisory_xact_lock(hashtextextended('receipt' || ':' || 'web_form' || ':' || :formid::text || ':' || md5(:n::text), 0));

-- intake: same submission within SUBMISSION_DEDUPE_SECONDS?
SELECT id, status, result FROM inbound_receipt
 WHERE channel = 'web_form' AND dedupe_key = :formid::text || ':' || md5(:n::text) AND status = 'processed'
   AND received_at > now() - make_interval(secs => 300)
 ORDER BY received_at DESC LIMIT 1;

-- intake.claimReceipt: the receipt row with the raw submission (~450 bytes of JSON, like the hub's)
INSERT INTO inbound_receipt (channel, external_id, dedupe_key, status, raw, received_at)
VALUES ('web_form', 'sub:' || md5('sub' || :n::text)::uuid, :formid::text || ':' || md5(:n::text), 'processed',
        ('{"formId":"' || :formid::text || '","formName":"Website form","submissionId":"' || md5('sub' || :n::text)::uuid
         || '","idempotencyKey": null,"honeypotField":"_gotcha","body":{"name":"Bench Lead ' || :n::text
         || '","phone":"+79' || lpad(:n::text, 9, '0') || '","email":"pgb' || :n::text
         || '@bench.local","message":"Please call me back about the offer","utm_source":"bench"},"referrer": null,"receivedAt":"'
         || (to_json(now()) #>> '{}') || '"}')::jsonb,
        now())
ON CONFLICT (channel, external_id) DO NOTHING RETURNING id AS receipt_id
\gset

-- contact resolver: one advisory lock per identity, sorted ("email:" < "phone:")
SELECT pg_advisory_xact_lock(hashtextextended('email' || ':' || 'pgb' || :n::text || '@bench.local', 0));
SELECT pg_advisory_xact_lock(hashtextextended('phone:+79' || lpad(:n::text, 9, '0'), 0));

-- contact resolver: who has these identities?
SELECT ci.contact_id, ci.kind, ci.value, c.owner_id, c.created_at
  FROM contact_identity ci JOIN contact c ON c.id = ci.contact_id
 WHERE (ci.kind, ci.value) IN (SELECT * FROM unnest(ARRAY['phone', 'email']::text[],
                                                   ARRAY['+79' || lpad(:n::text, 9, '0'), 'pgb' || :n::text || '@bench.local']::text[]));

-- contact resolver: nobody: new contact + its identities
INSERT INTO contact (name, last_activity_at) VALUES ('Bench Lead ' || :n::text, now()) RETURNING id AS contact_id
\gset
INSERT INTO contact_identity (contact_id, kind, value, details)
VALUES (:contact_id, 'phone', '+79' || lpad(:n::text, 9, '0'), ('{"input":"+79' || lpad(:n::text, 9, '0') || '"}')::jsonb);
INSERT INTO contact_identity (contact_id, kind, value, details)
VALUES (:contact_id, 'email', 'pgb' || :n::text || '@bench.local', '{}');

-- intake: one intake at a time per contact
SELECT id FROM contact WHERE id = :contact_id FOR UPDATE;

-- intake: open deal of this contact?
SELECT d.id, d.owner_id, m.active AS owner_active FROM deal d LEFT JOIN manager m ON m.id = d.owner_id
 WHERE d.contact_id = :contact_id AND d.closed_at IS NULL ORDER BY d.created_at DESC LIMIT 1;

-- intake: new deal + "lead" timeline entry
INSERT INTO deal (contact_id, stage, source_channel, source, title)
VALUES (:contact_id, 'new', 'web_form', ('{"formId":"' || :formid::text || '","formName":"Website form","utm":{"source":"bench"}}')::jsonb,
        'Bench Lead ' || :n::text || ' — Website form')
RETURNING id AS deal_id
\gset
INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload)
VALUES (:contact_id, :deal_id, 'lead', 'web_form', NULL, now(),
        ('{"receiptId":"' || :receipt_id::text || '","name":"Bench Lead ' || :n::text
         || '","message":"Please call me back about the offer","subject": null,"identities":[{"kind":"phone","value":"+79'
         || lpad(:n::text, 9, '0') || '"},{"kind":"email","value":"pgb' || :n::text
         || '@bench.local"}],"source":{"formId":"' || :formid::text || '","formName":"Website form","utm":{"source":"bench"}},"fields":{}}')::jsonb)
RETURNING id;

-- intake: open callback task?  no: create it + "task_created" entry
SELECT id FROM task WHERE deal_id = :deal_id AND kind = 'callback' AND status = 'open';
INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at)
VALUES (:deal_id, :contact_id, NULL, 'callback', 'Call back Bench Lead ' || :n::text, now() + interval '15 minutes')
RETURNING id AS task_id
\gset
INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload)
VALUES (:contact_id, :deal_id, 'task_created', NULL, NULL, now(),
        ('{"taskId":"' || :task_id::text || '","kind":"callback","dueAt":"' || (to_json(now() + interval '15 minutes') #>> '{}')
         || '","slaMinutes":15}')::jsonb)
RETURNING id;

-- assignment.roundRobin: managers with their open deals (counted only for a capacity limit), a turn
-- from the sequence (no lock); with a capacity limit the chosen manager's row is locked until commit
-- and its open deals re-counted (claimCapacity)
SELECT m.id, m.name, m.available, m.capacity, m.weight,
       CASE WHEN m.capacity IS NULL THEN 0
            ELSE (SELECT count(*) FROM deal d WHERE d.owner_id = m.id AND d.closed_at IS NULL) END AS open_deals
  FROM manager m WHERE m.active AND m.role = 'manager' ORDER BY m.id;
SELECT nextval('assignment_turn_seq') AS turn
\gset
\set pick 1 + :turn % :nm
\if :capacity
SELECT id FROM manager WHERE id = (:mids::uuid[])[:pick::int] FOR UPDATE;
SELECT count(*) AS n FROM deal WHERE owner_id = (:mids::uuid[])[:pick::int] AND closed_at IS NULL;
\endif

-- assignment.apply: deal, its open tasks and the contact go to the chosen manager; timeline; outbox
UPDATE deal SET owner_id = (:mids::uuid[])[:pick::int], updated_at = now() WHERE id = :deal_id;
UPDATE task SET assignee_id = (:mids::uuid[])[:pick::int] WHERE deal_id = :deal_id AND status = 'open';
UPDATE contact SET owner_id = (:mids::uuid[])[:pick::int], updated_at = now() WHERE id = :contact_id
   AND (owner_id IS NULL OR owner_id = (:mids::uuid[])[:pick::int]
        OR NOT EXISTS (SELECT 1 FROM manager m WHERE m.id = contact.owner_id AND m.active));
INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload)
VALUES (:contact_id, :deal_id, 'assigned', NULL, NULL, now(),
        ('{"managerId":"' || (:mids::uuid[])[:pick::int] || '","managerName":"Bench Manager","rule":"round_robin","reason":"round robin, '
         || :nm::text || ' eligible of ' || :nm::text || '"}')::jsonb)
RETURNING id;
INSERT INTO outbox (kind, payload, next_attempt_at)
VALUES ('notify.manager',
        ('{"event":"lead_assigned","managerId":"' || (:mids::uuid[])[:pick::int] || '","dealId":"' || :deal_id::text
         || '","contactId":"' || :contact_id::text || '","taskId":"' || :task_id::text || '","leadId":"' || :receipt_id::text || '"}')::jsonb,
        now())
RETURNING id;

-- intake: receipt processed, with its result
UPDATE inbound_receipt SET status = 'processed',
       result = ('{"leadId":"' || :receipt_id::text || '","contactId":"' || :contact_id::text || '","dealId":"' || :deal_id::text
                 || '","taskId":"' || :task_id::text || '","ownerId":"' || (:mids::uuid[])[:pick::int]
                 || '","duplicate": false,"repeatLead": false}')::jsonb,
       error = NULL, processed_at = now()
 WHERE id = :receipt_id;

COMMIT;
