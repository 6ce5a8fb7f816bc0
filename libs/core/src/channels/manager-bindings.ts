import { Injectable } from '@nestjs/common';

/** A manager's account on a channel (the Telegram account the manager bot writes to), as the managers API shows it. */
export interface ManagerBinding {
  /** The channel's key: 'telegram', 'vk', … */
  channel: string;
  /** How the account reads to people (a @username), or null when the channel knows no name for it. */
  label: string | null;
  linkedAt: Date | null;
}

/**
 * A channel that binds managers to accounts of its own keeps those bindings in its own table and
 * answers here which managers are bound. Core never reads a channel's table.
 */
export interface ManagerBindingSource {
  channel: string;
  /** The bindings of these managers, keyed by manager id (managers without one are left out). */
  bindingsOf(managerIds: string[]): Promise<Map<string, ManagerBinding>>;
}

/** Where the managers API learns the channel bindings of managers; channels register their source at start. */
@Injectable()
export class ManagerBindingRegistry {
  private readonly sources = new Map<string, ManagerBindingSource>();

  register(source: ManagerBindingSource): void {
    this.sources.set(source.channel, source);
  }

  /** Every registered channel's bindings of these managers, in channel registration order. */
  async bindingsOf(managerIds: string[]): Promise<Map<string, ManagerBinding[]>> {
    const out = new Map<string, ManagerBinding[]>();
    if (!managerIds.length) return out;
    for (const source of this.sources.values()) {
      for (const [managerId, binding] of await source.bindingsOf(managerIds)) {
        const list = out.get(managerId) ?? [];
        list.push(binding);
        out.set(managerId, list);
      }
    }
    return out;
  }
}
