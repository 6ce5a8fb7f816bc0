import { expectError, MISSING_ID, nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

const DEFAULT_STAGES = [
  { key: 'new', name: 'New', kind: 'open' },
  { key: 'first_contact', name: 'First contact', kind: 'open' },
  { key: 'qualified', name: 'Qualified', kind: 'open' },
  { key: 'proposal', name: 'Proposal', kind: 'open' },
  { key: 'won', name: 'Won', kind: 'won' },
  { key: 'lost', name: 'Lost', kind: 'lost' },
];

describe('pipelines and stages (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let sales: any;
  let lead: Lead;

  const req = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, body?: unknown, token = admin) => hub.request({ method, url, body, token });
  const pipelines = async (token = admin) => {
    const res = await req('GET', '/api/pipelines', undefined, token);
    expect(res.status).toBe(200);
    return res.body as any[];
  };
  const stageOf = (p: any, key: string) => p.stages.find((s: any) => s.key === key);
  const dealRow = async (id: string) => (await hub.query(`SELECT stage, stage_id, pipeline_id, closed_at, lost_reason FROM deal WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Pipelines' });
    await onlyAvailable(hub, [anna.id], anna.id);
    lead = await postLead(hub, { name: 'Pipeline client', phone: nextPhone().typed });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('a fresh hub has the default pipeline with today’s stages, and new leads land in its first stage', async () => {
    const list = await pipelines();
    expect(list).toHaveLength(1);
    sales = list[0];
    expect(sales).toMatchObject({ name: 'Sales', isDefault: true });
    expect(sales.stages.map(({ key, name, kind }: any) => ({ key, name, kind }))).toEqual(DEFAULT_STAGES);
    expect(sales.stages.map((s: any) => s.position)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(stageOf(sales, 'new')).toMatchObject({ deals: 1, rules: [], pipelineId: sales.id });

    const contact = await req('GET', `/api/contacts/${lead.contactId}`);
    expect(contact.body.deals).toEqual([expect.objectContaining({ id: lead.dealId, stage: 'new', stageName: 'New', stageId: stageOf(sales, 'new').id, pipelineId: sales.id })]);
    const deal = await req('GET', `/api/deals/${lead.dealId}`);
    expect(deal.body).toMatchObject({ stage: 'new', stageId: stageOf(sales, 'new').id, stageName: 'New', pipelineId: sales.id });
    expect(await dealRow(lead.dealId)).toMatchObject({ stage: 'new', stage_id: stageOf(sales, 'new').id, pipeline_id: sales.id });
  });

  it('documents the pipeline, stage and rule routes in the OpenAPI document', async () => {
    const doc = (await hub.request({ url: '/api/docs/json' })).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/pipelines', '/api/pipelines/{id}', '/api/pipelines/{id}/stages', '/api/pipelines/{id}/stages/order', '/api/stages/{id}', '/api/stages/{id}/rules', '/api/stage-rules/{id}']),
    );
    const rule = doc.paths['/api/stages/{id}/rules'].post.requestBody.content['application/json'].schema;
    expect(rule.properties.dueUnit.enum).toEqual(['minutes', 'hours']);
    expect(rule.properties.assignTo.enum).toEqual(['owner', 'admins', 'manager']);
    expect(rule.required.sort()).toEqual(['dueIn', 'dueUnit', 'title']);
    expect(Object.keys(doc.paths['/api/deals/{id}'].patch.requestBody.content['application/json'].schema.properties).sort()).toEqual(['lostReason', 'pipelineId', 'reopen', 'stage', 'stageId']);
  });

  it('managers may read pipelines and rules but not change them (403), and nothing changes', async () => {
    expect(await pipelines(anna.token)).toEqual(await pipelines());
    expect((await req('GET', `/api/pipelines/${sales.id}`, undefined, anna.token)).status).toBe(200);
    expect((await req('GET', `/api/stages/${stageOf(sales, 'qualified').id}/rules`, undefined, anna.token)).status).toBe(200);
    const before = await pipelines();
    const stageId = stageOf(sales, 'qualified').id;
    for (const [method, url, body] of [
      ['POST', '/api/pipelines', { name: 'Mine' }],
      ['PATCH', `/api/pipelines/${sales.id}`, { name: 'Renamed' }],
      ['DELETE', `/api/pipelines/${sales.id}`, undefined],
      ['POST', `/api/pipelines/${sales.id}/stages`, { name: 'Demo' }],
      ['PUT', `/api/pipelines/${sales.id}/stages/order`, { stageIds: [...sales.stages.map((s: any) => s.id)].reverse() }],
      ['PATCH', `/api/stages/${stageId}`, { name: 'Hot' }],
      ['DELETE', `/api/stages/${stageId}`, undefined],
      ['POST', `/api/stages/${stageId}/rules`, { title: 'X', dueIn: 1, dueUnit: 'hours' }],
    ] as const) {
      expectError(await req(method, url, body, anna.token), 403, 'forbidden');
    }
    expectError(await hub.request({ url: '/api/pipelines' }), 401, 'unauthorized');
    expect(await pipelines()).toEqual(before);
  });

  it('creates a pipeline with the standard stages, renames it, and rejects a duplicate name (409)', async () => {
    const res = await req('POST', '/api/pipelines', { name: '  Partners ' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Partners', isDefault: false });
    expect(res.body.stages.map(({ key, name, kind }: any) => ({ key, name, kind }))).toEqual(DEFAULT_STAGES);
    expect(res.body.stages.every((s: any) => !sales.stages.some((d: any) => d.id === s.id))).toBe(true);

    const renamed = await req('PATCH', `/api/pipelines/${res.body.id}`, { name: 'Partner deals' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Partner deals');
    expectError(await req('POST', '/api/pipelines', { name: 'partner DEALS' }), 409, 'conflict');
    expectError(await req('PATCH', `/api/pipelines/${sales.id}`, { name: 'Partner deals' }), 409, 'conflict');
    expectError(await req('POST', '/api/pipelines', { name: '' }), 400, 'invalid', ['name']);
    expectError(await req('PATCH', `/api/pipelines/${MISSING_ID}`, { name: 'Ghost' }), 404, 'not_found');
  });

  it('creates a pipeline with its own stages; each kind is required and keys are checked', async () => {
    expectError(
      await req('POST', '/api/pipelines', { name: 'No lost', stages: [{ name: 'Lead' }, { name: 'Deal', kind: 'open' }, { name: 'Signed', kind: 'won' }] }),
      400,
      'invalid',
      ['stages'],
    );
    expectError(
      await req('POST', '/api/pipelines', { name: 'Dup', stages: [{ name: 'A', key: 'a' }, { name: 'B', key: 'a' }, { name: 'W', kind: 'won' }, { name: 'L', kind: 'lost' }] }),
      400,
      'invalid',
      ['stages.1.key'],
    );
    expectError(
      await req('POST', '/api/pipelines', { name: 'Bad key', stages: [{ name: 'A', key: 'Has Space' }, { name: 'W', kind: 'won' }, { name: 'L', kind: 'lost' }] }),
      400,
      'invalid',
      ['stages.0.key'],
    );
    const res = await req('POST', '/api/pipelines', {
      name: 'Rentals',
      stages: [{ name: 'Inquiry' }, { name: 'Viewing booked' }, { name: 'Signed', kind: 'won' }, { name: 'Dropped', key: 'dropped', kind: 'lost' }],
    });
    expect(res.status).toBe(201);
    expect(res.body.stages.map(({ key, kind, position }: any) => ({ key, kind, position }))).toEqual([
      { key: 'inquiry', kind: 'open', position: 0 },
      { key: 'viewing_booked', kind: 'open', position: 1 },
      { key: 'signed', kind: 'won', position: 2 },
      { key: 'dropped', kind: 'lost', position: 3 },
    ]);
  });

  it('adds, renames, reorders and deletes stages', async () => {
    const rentals = (await pipelines()).find((p) => p.name === 'Rentals');
    const added = await req('POST', `/api/pipelines/${rentals.id}/stages`, { name: 'Contract sent' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ key: 'contract_sent', name: 'Contract sent', kind: 'open', position: 2, deals: 0, rules: [] });
    // An open stage goes before won/lost by default; an explicit position wins.
    const first = await req('POST', `/api/pipelines/${rentals.id}/stages`, { name: 'Contract sent', position: 0 });
    expect(first.body).toMatchObject({ key: 'contract_sent_2', position: 0 });
    expectError(await req('POST', `/api/pipelines/${rentals.id}/stages`, { name: 'Again', key: 'inquiry' }), 409, 'conflict');
    expectError(await req('POST', `/api/pipelines/${rentals.id}/stages`, { name: 'X', kind: 'maybe' }), 400, 'invalid', ['kind']);
    expectError(await req('POST', `/api/pipelines/${MISSING_ID}/stages`, { name: 'X' }), 404, 'not_found');

    const renamed = await req('PATCH', `/api/stages/${first.body.id}`, { name: 'Pre-check' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: first.body.id, key: 'contract_sent_2', name: 'Pre-check' });
    expectError(await req('PATCH', `/api/stages/${MISSING_ID}`, { name: 'X' }), 404, 'not_found');

    let current = (await req('GET', `/api/pipelines/${rentals.id}`)).body;
    expect(current.stages.map((s: any) => s.key)).toEqual(['contract_sent_2', 'inquiry', 'viewing_booked', 'contract_sent', 'signed', 'dropped']);
    const ids = current.stages.map((s: any) => s.id);
    const order = [ids[1], ids[2], ids[0], ids[3], ids[4], ids[5]];
    const reordered = await req('PUT', `/api/pipelines/${rentals.id}/stages/order`, { stageIds: order });
    expect(reordered.status).toBe(200);
    expect(reordered.body.stages.map((s: any) => [s.key, s.position])).toEqual([
      ['inquiry', 0],
      ['viewing_booked', 1],
      ['contract_sent_2', 2],
      ['contract_sent', 3],
      ['signed', 4],
      ['dropped', 5],
    ]);
    expectError(await req('PUT', `/api/pipelines/${rentals.id}/stages/order`, { stageIds: order.slice(1) }), 400, 'invalid', ['stageIds']);
    expectError(await req('PUT', `/api/pipelines/${rentals.id}/stages/order`, { stageIds: [...order.slice(1), stageOf(sales, 'new').id] }), 400, 'invalid', ['stageIds']);
    expectError(await req('PUT', `/api/pipelines/${rentals.id}/stages/order`, { stageIds: [order[0], ...order.slice(0, 5)] }), 400, 'invalid', ['stageIds']);

    expect((await req('DELETE', `/api/stages/${first.body.id}`)).status).toBe(204);
    current = (await req('GET', `/api/pipelines/${rentals.id}`)).body;
    expect(current.stages.map((s: any) => [s.key, s.position])).toEqual([
      ['inquiry', 0],
      ['viewing_booked', 1],
      ['contract_sent', 2],
      ['signed', 3],
      ['dropped', 4],
    ]);
    // The last won (or lost) stage of a pipeline stays.
    expectError(await req('DELETE', `/api/stages/${stageOf(current, 'signed').id}`), 409, 'conflict');
    expectError(await req('DELETE', `/api/stages/${MISSING_ID}`), 404, 'not_found');
  });

  it('deleting a stage that has deals answers 409 naming how many, and keeps it', async () => {
    const more = [await postLead(hub, { name: 'Second', phone: nextPhone().typed }), await postLead(hub, { name: 'Third', phone: nextPhone().typed })];
    const newStage = stageOf((await pipelines())[0], 'new');
    expect(newStage.deals).toBe(3);
    const res = await req('DELETE', `/api/stages/${newStage.id}`);
    expectError(res, 409, 'conflict');
    expect(res.body.message).toMatch(/\b3 deals\b/);
    expect(stageOf((await pipelines())[0], 'new').id).toBe(newStage.id);

    // Closed deals count too: a won stage with one deal cannot go either.
    expect((await req('PATCH', `/api/deals/${more[0].dealId}`, { stage: 'won' })).status).toBe(200);
    const won = await req('DELETE', `/api/stages/${stageOf(sales, 'won').id}`);
    expectError(won, 409, 'conflict');
    expect(won.body.message).toMatch(/\b1 deal\b/);
  });

  it('moves a deal to another pipeline, validating stage and pipeline', async () => {
    const rentals = (await pipelines()).find((p) => p.name === 'Rentals');
    const partners = (await pipelines()).find((p) => p.name === 'Partner deals');
    const id = lead.dealId;
    const patch = (body: unknown) => req('PATCH', `/api/deals/${id}`, body, anna.token);

    // A key no pipeline has, a key the deal's pipeline does not have, a stage of another pipeline.
    expectError(await patch({ stage: 'archived' }), 400, 'invalid', ['stage']);
    expectError(await patch({ stage: 'viewing_booked' }), 400, 'invalid', ['stage']);
    expectError(await patch({ stageId: stageOf(rentals, 'inquiry').id }), 400, 'invalid', ['stageId']);
    expectError(await patch({ stageId: stageOf(partners, 'qualified').id, pipelineId: rentals.id }), 400, 'invalid', ['stageId']);
    expectError(await patch({ stageId: MISSING_ID }), 400, 'invalid', ['stageId']);
    expectError(await patch({ pipelineId: MISSING_ID }), 400, 'invalid', ['pipelineId']);
    expectError(await patch({ stage: 'new', stageId: stageOf(sales, 'qualified').id }), 400, 'invalid', ['stage']);
    expect(await dealRow(id)).toMatchObject({ stage: 'new', pipeline_id: sales.id });

    const moved = await patch({ pipelineId: rentals.id, stage: 'viewing_booked' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ pipelineId: rentals.id, stageId: stageOf(rentals, 'viewing_booked').id, stage: 'viewing_booked', stageName: 'Viewing booked' });
    const [change] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'stage_changed'`, [id]);
    expect(change.payload).toEqual({ from: 'new', to: 'viewing_booked', fromPipelineId: sales.id, fromPipeline: 'Sales', toPipelineId: rentals.id, toPipeline: 'Rentals' });

    // Within its new pipeline a key resolves there; the default pipeline's keys no longer do.
    expectError(await patch({ stage: 'qualified' }), 400, 'invalid', ['stage']);
    expect((await patch({ stage: 'inquiry' })).body).toMatchObject({ stage: 'inquiry', pipelineId: rentals.id });
    // pipelineId alone: that pipeline's first open stage.
    expect((await patch({ pipelineId: partners.id })).body).toMatchObject({ stage: 'new', pipelineId: partners.id, stageId: stageOf(partners, 'new').id });
    expect((await req('GET', `/api/deals?pipelineId=${partners.id}`)).body.items.map((d: any) => d.id)).toEqual([id]);
    expect((await req('GET', `/api/deals?stageId=${stageOf(partners, 'new').id}`)).body.items.map((d: any) => d.id)).toEqual([id]);
    expect((await req('GET', `/api/deals?stage=dropped`)).body.items).toEqual([]);
  });

  it('a lost-kind stage needs a reason whatever its key; won/lost close the deal', async () => {
    const rentals = (await pipelines()).find((p) => p.name === 'Rentals');
    const id = lead.dealId;
    expect((await req('PATCH', `/api/deals/${id}`, { pipelineId: rentals.id, stage: 'inquiry' })).status).toBe(200);
    const before = await dealRow(id);
    expectError(await req('PATCH', `/api/deals/${id}`, { stage: 'dropped' }), 400, 'invalid', ['lostReason']);
    expectError(await req('PATCH', `/api/deals/${id}`, { stage: 'dropped', lostReason: '  ' }), 400, 'invalid', ['lostReason']);
    expect(await dealRow(id)).toEqual(before);
    const lost = await req('PATCH', `/api/deals/${id}`, { stage: 'dropped', lostReason: 'found another flat' });
    expect(lost.body).toMatchObject({ stage: 'dropped', lostReason: 'found another flat', closedAt: expect.any(String) });
    expect(await hub.query(`SELECT status FROM task WHERE id = $1`, [lead.taskId])).toEqual([{ status: 'cancelled' }]);
    const won = await req('PATCH', `/api/deals/${id}`, { stage: 'signed' });
    expect(won.body).toMatchObject({ stage: 'signed', lostReason: null, closedAt: expect.any(String) });
    expectError(await req('PATCH', `/api/deals/${id}`, { stage: 'viewing_booked' }), 409, 'conflict');
    const reopened = await req('PATCH', `/api/deals/${id}`, { stage: 'viewing_booked', reopen: true });
    expect(reopened.body).toMatchObject({ stage: 'viewing_booked', closedAt: null });
  });

  it('the default pipeline can change: new leads land in its first open stage; the default cannot be deleted or unset', async () => {
    const rentals = (await pipelines()).find((p) => p.name === 'Rentals');
    expectError(await req('PATCH', `/api/pipelines/${sales.id}`, { isDefault: false }), 400, 'invalid', ['isDefault']);
    const res = await req('PATCH', `/api/pipelines/${rentals.id}`, { isDefault: true });
    expect(res.status).toBe(200);
    expect(res.body.isDefault).toBe(true);
    const list = await pipelines();
    expect(list.filter((p) => p.isDefault).map((p) => p.id)).toEqual([rentals.id]);
    expect(list[0].id).toBe(rentals.id);

    const fresh = await postLead(hub, { name: 'Renter', phone: nextPhone().typed });
    expect((await req('GET', `/api/deals/${fresh.dealId}`)).body).toMatchObject({ pipelineId: rentals.id, stage: 'inquiry' });

    expectError(await req('DELETE', `/api/pipelines/${rentals.id}`), 409, 'conflict');
    const salesDelete = await req('DELETE', `/api/pipelines/${sales.id}`);
    expectError(salesDelete, 409, 'conflict');
    expect(salesDelete.body.message).toMatch(/\b2 deals\b/);
    const empty = await req('POST', '/api/pipelines', { name: 'Scratch' });
    expect((await req('DELETE', `/api/pipelines/${empty.body.id}`)).status).toBe(204);
    expectError(await req('GET', `/api/pipelines/${empty.body.id}`), 404, 'not_found');

    expect((await req('PATCH', `/api/pipelines/${sales.id}`, { isDefault: true })).status).toBe(200);
    expect((await pipelines()).filter((p) => p.isDefault).map((p) => p.id)).toEqual([sales.id]);
  });

  it('deleting a stage or pipeline while deals move into it: either the delete or the move wins, never both, never a 500', async () => {
    const partners = (await pipelines()).find((p) => p.name === 'Partner deals');
    for (let i = 0; i < 8; i++) {
      const d = await postLead(hub, { name: `Race ${i}`, phone: nextPhone().typed });
      // Into a new stage of the deal's own pipeline, a new stage of another pipeline, or a new pipeline.
      const kind = i % 3;
      let target: string;
      let move: Record<string, string>;
      let del: string;
      if (kind === 2) {
        const p = await req('POST', '/api/pipelines', { name: `Race pipeline ${i}` });
        target = p.body.id;
        move = { pipelineId: target };
        del = `/api/pipelines/${target}`;
      } else {
        const home = kind === 0 ? sales : partners;
        const temp = await req('POST', `/api/pipelines/${home.id}/stages`, { name: `Temp ${i}` });
        expect(temp.status).toBe(201);
        target = temp.body.id;
        move = kind === 0 ? { stageId: target } : { stageId: target, pipelineId: partners.id };
        del = `/api/stages/${target}`;
      }
      const [moved, deleted] = await Promise.all([req('PATCH', `/api/deals/${d.dealId}`, move), req('DELETE', del)]);
      const row = await dealRow(d.dealId);
      if (deleted.status === 204) {
        expectError(moved, 400, 'invalid');
        expect(row).toMatchObject({ stage: 'new', pipeline_id: sales.id });
      } else {
        expect({ i, moved: moved.status }).toEqual({ i, moved: 200 });
        expectError(deleted, 409, 'conflict');
        expect(kind === 2 ? row.pipeline_id : row.stage_id).toBe(target);
        expect((await req('PATCH', `/api/deals/${d.dealId}`, { pipelineId: sales.id, stage: 'new' })).status).toBe(200);
        expect((await req('DELETE', del)).status).toBe(204);
      }
    }
  });

  it('writers that only know stage keys keep deals consistent (deal.stage is always the key of deal.stage_id)', async () => {
    const second = await postLead(hub, { name: 'Raw SQL', phone: nextPhone().typed });
    await hub.query(`UPDATE deal SET stage = 'proposal' WHERE id = $1`, [second.dealId]);
    expect(await dealRow(second.dealId)).toMatchObject({ stage: 'proposal', stage_id: stageOf(sales, 'proposal').id });
    await expect(hub.query(`UPDATE deal SET stage = 'no_such_stage' WHERE id = $1`, [second.dealId])).rejects.toThrow(/no stage/);
    const [contact] = await hub.query(`SELECT contact_id FROM deal WHERE id = $1`, [second.dealId]);
    const [inserted] = await hub.query(`INSERT INTO deal (contact_id, source_channel) VALUES ($1, 'web_form') RETURNING stage, stage_id, pipeline_id`, [contact.contact_id]);
    expect(inserted).toMatchObject({ stage: 'new', stage_id: stageOf(sales, 'new').id, pipeline_id: sales.id });
  });
});
