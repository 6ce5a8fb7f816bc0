import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { ContactsService } from '../contacts/contacts.service';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { AssignmentService } from './assignment.service';
import { execute, queryRow, queryRows } from '../database/query-rows';

/** An admin handing a contact to another manager: the contact page's owner picker and the lists' bulk "assign". */
@Injectable()
export class ContactReassignment {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsService,
    private readonly assignment: AssignmentService,
  ) {}

  /**
   * The contact, its open deals and their open tasks change owner; each deal gets an "assigned" entry
   * with the reason and the manager a notice. Admins only (403), to an active manager only (400).
   * Returns the contact as the admin now sees it.
   */
  async reassign(admin: Viewer, contactId: string, managerId: string): Promise<Awaited<ReturnType<ContactsService['get']>>> {
    if (!isAdmin(admin)) throw new DomainError(ErrorCode.Forbidden, 'only admins assign contacts to a manager');
    await this.db.transaction(async (em) => {
      const contact = await queryRow<{ id: string }>(em, `SELECT id FROM contact WHERE id = $1 AND merged_into_id IS NULL FOR UPDATE`, [contactId]);
      if (!contact) throw DomainError.notFound('contact');
      const manager = await queryRow<{ id: string; name: string }>(em, `SELECT id, name FROM manager WHERE id = $1 AND active`, [managerId]);
      if (!manager) throw DomainError.invalid('no active manager with this id', { managerId: 'not an active manager' });
      await execute(em, `UPDATE contact SET owner_id = $2, updated_at = now() WHERE id = $1`, [contactId, managerId]);
      const deals = await queryRows<{ id: string }>(em, `SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at FOR UPDATE`, [contactId]);
      for (const deal of deals) {
        await this.assignment.apply(em, { id: deal.id, contactId }, { managerId, managerName: manager.name, rule: 'manual', reason: `reassigned by ${admin.name}` }, admin.id);
      }
    });
    return this.contacts.get(admin, contactId);
  }
}
