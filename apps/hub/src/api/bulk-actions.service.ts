import { ContactReassignment, ContactsService, DealsService, DomainError, type Viewer } from '@leadline/core';
import { Injectable } from '@nestjs/common';

/** What happened to one id of a bulk action: done, or refused with the same error the single action gives. */
export type BulkOutcome = { id: string; status: 'done' } | { id: string; status: 'refused'; error: string; message: string };

export interface BulkResult {
  done: number;
  refused: number;
  results: BulkOutcome[];
}

export type DealBulkAction = { type: 'assign'; managerId: string } | { type: 'stage'; stage: string; lostReason?: string | null; reopen?: boolean } | { type: 'tag'; tag: string };
export type ContactBulkAction = { type: 'assign'; managerId: string } | { type: 'tag'; tag: string };

/**
 * Bulk actions in the lists run the single actions one id at a time, each in its own transaction,
 * so every rule holds (a lost stage needs its reason, a manager acts only on what they see, each deal
 * writes its own timeline entry) and one refused id never undoes or hides the others.
 */
@Injectable()
export class BulkActionsService {
  constructor(
    private readonly deals: DealsService,
    private readonly contacts: ContactsService,
    private readonly reassignment: ContactReassignment,
  ) {}

  forDeals(viewer: Viewer, ids: string[], action: DealBulkAction): Promise<BulkResult> {
    return this.each(ids, async (id) => {
      if (action.type === 'stage') {
        await this.deals.changeStage(viewer, id, { stage: action.stage }, action.lostReason, { reopen: action.reopen });
        return;
      }
      const deal = await this.deals.get(viewer, id);
      if (action.type === 'tag') await this.contacts.addTag(viewer, deal.contactId, action.tag);
      else await this.assign(viewer, deal.contactId, action.managerId);
    });
  }

  forContacts(viewer: Viewer, ids: string[], action: ContactBulkAction): Promise<BulkResult> {
    return this.each(ids, async (id) => {
      if (action.type === 'tag') await this.contacts.addTag(viewer, id, action.tag);
      else await this.assign(viewer, id, action.managerId);
    });
  }

  /** The single action's rule (core's): only admins hand a contact (and its open deals) to another manager. */
  private async assign(viewer: Viewer, contactId: string, managerId: string): Promise<void> {
    await this.reassignment.reassign(viewer, contactId, managerId);
  }

  private async each(ids: string[], run: (id: string) => Promise<void>): Promise<BulkResult> {
    const results: BulkOutcome[] = [];
    for (const id of [...new Set(ids)]) {
      try {
        await run(id);
        results.push({ id, status: 'done' });
      } catch (err) {
        // Anything but a refusal (the database gone) stops the batch: its answer must not claim the rest.
        if (!(err instanceof DomainError)) throw err;
        results.push({ id, status: 'refused', error: err.code, message: err.fields ? `${err.message}: ${Object.values(err.fields).join('; ')}` : err.message });
      }
    }
    const done = results.filter((r) => r.status === 'done').length;
    return { done, refused: results.length - done, results };
  }
}
