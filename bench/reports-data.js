'use strict';
/**
 * Data generator for bench/reports.js (PostgreSQL only: generate_series). Writes `managers` managers,
 * `deals` contacts with one deal each spread evenly over the last `days` days, `activitiesPerDeal`
 * timeline rows per deal (lead, two stage changes, three calls, messages, tasks, a note), and an open
 * follow-up task for every fifth deal; call_fact from the call activities. Needs a superuser connection (session_replication_role). Deterministic: the same knobs give the same figures.
 */
const CHANNELS = ['web_form', 'telegram', 'email', 'phone', 'import'];
const UTM_SOURCES = ['google', 'yandex', 'vk', 'newsletter'];
const CAMPAIGNS = ['spring', 'summer', 'autumn', 'winter', 'brand', 'retarget'];
// Stage by deal number (out of 20): 30 % new, 15 % first_contact, 15 % qualified, 10 % proposal, 15 % won, 15 % lost.
const STAGE_SQL = `CASE WHEN g % 20 < 6 THEN 'new' WHEN g % 20 < 9 THEN 'first_contact' WHEN g % 20 < 12 THEN 'qualified'
                        WHEN g % 20 < 14 THEN 'proposal' WHEN g % 20 < 17 THEN 'won' ELSE 'lost' END`;
const KINDS = ['lead', 'stage_changed', 'stage_changed', 'call_out', 'call_in', 'call_missed', 'message_in', 'message_out', 'task_created', 'note'];

async function generate(db, { managers = 10, deals = 100_000, activitiesPerDeal = 10, days = 365, now = new Date() }) {
  const ids = (
    await db.query(
      `INSERT INTO manager (role, name, email, password_hash, active, available)
       SELECT 'manager', 'Bench Manager ' || g, 'bench.m' || g || '@leadline.local', 'x', true, true FROM generate_series(1, $1::int) g RETURNING id`,
      [managers],
    )
  ).rows.map((r) => r.id);
  const stepSeconds = (days * 86_400) / deals;
  // Deal g: created `now - g * step`; everything else derives from g, so activities need no join.
  await db.query(
    `WITH g AS (SELECT g, md5('c' || g)::uuid AS cid, md5('d' || g)::uuid AS did, $2::timestamptz - g * make_interval(secs => $3) AS at,
                       ($4::uuid[])[1 + g % array_length($4::uuid[], 1)] AS owner, ${STAGE_SQL} AS stage
                  FROM generate_series(1, $1::int) g),
          c AS (INSERT INTO contact (id, name, owner_id, created_at, last_activity_at) SELECT cid, 'Bench contact ' || g, owner, at, at FROM g)
     INSERT INTO deal (id, contact_id, owner_id, stage, source_channel, source, amount, first_response_at, closed_at, created_at, stages_reached)
     SELECT did, cid, owner, stage, ($5::text[])[1 + g % 5],
            jsonb_build_object('utm', jsonb_build_object('source', ($6::text[])[1 + g % 4], 'campaign', ($7::text[])[1 + g % 6])),
            CASE WHEN stage = 'won' THEN 1000 + g % 9000 END,
            CASE WHEN g % 5 <> 0 THEN at + make_interval(mins => (g % 60)::int) END,
            CASE WHEN stage IN ('won', 'lost') THEN at + interval '2 days' END,
            at,
            -- What the migration's trigger derives from the two stage_changed activities written below.
            ARRAY(SELECT DISTINCT s FROM unnest(ARRAY['new', 'first_contact', stage]) AS s ORDER BY 1)
       FROM g`,
    [deals, now, stepSeconds, ids, CHANNELS, UTM_SOURCES, CAMPAIGNS],
  );
  // Activity k of deal g: kind KINDS[k % 10], k * 7 minutes after the deal. Written in time order, as a live
  // timeline grows. Triggers off for this bulk insert: deal.stages_reached is already set above, and
  // call_fact is filled below in one statement instead of 300,000 trigger calls.
  await db.query(`SET session_replication_role = replica`);
  await db.query(
    `WITH a AS (SELECT 1 + (n - 1) % $1::int AS g, (n - 1) / $1::int AS k FROM generate_series(1, $1::int * $2::int) n),
          d AS (SELECT a.g, a.k, md5('c' || a.g)::uuid AS cid, md5('d' || a.g)::uuid AS did,
                       $3::timestamptz - a.g * make_interval(secs => $4) AS at, ($5::uuid[])[1 + a.g % array_length($5::uuid[], 1)] AS owner,
                       ($6::text[])[1 + a.k % 10] AS kind, ${STAGE_SQL.replace(/\bg\b/g, 'a.g')} AS stage
                  FROM a)
     INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload)
     SELECT cid, did, kind, CASE WHEN kind LIKE 'call%' THEN 'phone' ELSE 'web_form' END,
            CASE WHEN kind = 'call_missed' AND g % 2 = 0 THEN NULL WHEN kind IN ('call_in', 'call_out', 'call_missed', 'stage_changed', 'message_out', 'note') THEN owner END,
            at + make_interval(mins => k * 7),
            CASE kind
              WHEN 'stage_changed' THEN CASE WHEN k % 10 = 1 THEN jsonb_build_object('from', 'new', 'to', 'first_contact')
                                             ELSE jsonb_build_object('from', 'first_contact', 'to', stage) END
              WHEN 'call_out' THEN jsonb_build_object('direction', 'outbound', 'answered', g % 3 <> 0, 'durationSeconds', CASE WHEN g % 3 <> 0 THEN g % 300 ELSE 0 END)
              WHEN 'call_in' THEN jsonb_build_object('direction', 'inbound', 'answered', true, 'durationSeconds', g % 200)
              WHEN 'call_missed' THEN jsonb_build_object('direction', 'inbound', 'answered', false, 'durationSeconds', 0)
              ELSE jsonb_build_object('text', 'bench activity ' || k)
            END
       FROM d ORDER BY at + make_interval(mins => k * 7)`,
    [deals, activitiesPerDeal, now, stepSeconds, ids, KINDS],
  );
  await db.query(`SET session_replication_role = DEFAULT`);
  // The built migration's own backfill (bench/reports.js has built dist by now): exactly the rows the
  // trigger writes for these activities.
  const { CALL_FACTS_BACKFILL } = require('../dist/apps/hub/src/database/migrations/1763906000000-report-call-facts');
  await db.query(CALL_FACTS_BACKFILL);
  await db.query(
    `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, status)
     SELECT md5('d' || g)::uuid, md5('c' || g)::uuid, ($2::uuid[])[1 + g % array_length($2::uuid[], 1)], 'follow_up', 'Follow up',
            $3::timestamptz + (g % 200 - 100) * interval '1 hour', 'open'
       FROM generate_series(5, $1::int, 5) g`,
    [deals, ids, now],
  );
  return { managerIds: ids };
}

module.exports = { generate };
