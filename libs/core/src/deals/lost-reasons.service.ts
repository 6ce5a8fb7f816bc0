import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { mutateRows, queryRows } from '../database/query-rows';
import { DomainError } from '../errors/domain-error';

export interface LostReason {
  id: string;
  label: string;
  position: number;
}

/**
 * The reasons an admin offers when a deal is lost ("too expensive", "chose a competitor"). The deal keeps
 * the reason's text, so renaming or removing one never rewrites history; free text stays allowed.
 */
@Injectable()
export class LostReasonsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  list(): Promise<LostReason[]> {
    return queryRows<LostReason>(this.db, `SELECT id, label, position FROM lost_reason WHERE active ORDER BY position, label`);
  }

  async create(label: string): Promise<LostReason> {
    try {
      const [row] = await queryRows<LostReason>(
        this.db,
        `INSERT INTO lost_reason (label, position) SELECT $1, COALESCE(max(position) + 1, 0) FROM lost_reason WHERE active RETURNING id, label, position`,
        [label],
      );
      return row;
    } catch (err) {
      throw duplicateOr(err, label);
    }
  }

  async update(id: string, patch: { label?: string; position?: number }): Promise<LostReason> {
    try {
      const [row] = await mutateRows<LostReason>(
        this.db,
        `UPDATE lost_reason SET label = COALESCE($2, label), position = COALESCE($3, position) WHERE id = $1 AND active RETURNING id, label, position`,
        [id, patch.label ?? null, patch.position ?? null],
      );
      if (!row) throw DomainError.notFound('lost reason');
      return row;
    } catch (err) {
      throw duplicateOr(err, patch.label ?? '');
    }
  }

  /** Retires a reason: no longer offered; deals lost for it keep their text. */
  async remove(id: string): Promise<void> {
    const rows = await mutateRows<{ id: string }>(this.db, `UPDATE lost_reason SET active = false WHERE id = $1 AND active RETURNING id`, [id]);
    if (rows.length === 0) throw DomainError.notFound('lost reason');
  }
}

function duplicateOr(err: unknown, label: string): unknown {
  if ((err as { code?: string }).code === '23505') return DomainError.conflict(`a lost reason "${label}" already exists`);
  return err;
}
