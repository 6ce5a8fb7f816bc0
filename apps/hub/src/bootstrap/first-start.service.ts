import { ManagersService, WebFormsService } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';
import { generatePassword, hashPassword } from '../auth/password';

export interface FirstStartReport {
  adminCreated: boolean;
  adminEmail: string;
  /** Only when generated on this start; shown once and never stored in clear. */
  generatedPassword?: string;
  formCreated: boolean;
  formKey?: string;
}

/** On an empty database: an admin account and a default web form, so a fresh install works at once. */
@Injectable()
export class FirstStartService {
  private readonly log = new Logger('FirstStart');

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly managers: ManagersService,
    private readonly forms: WebFormsService,
  ) {}

  async run(): Promise<FirstStartReport> {
    const report: FirstStartReport = { adminCreated: false, adminEmail: this.config.ADMIN_EMAIL, formCreated: false };
    if ((await this.managers.count('admin')) === 0) {
      const password = this.config.ADMIN_PASSWORD ?? generatePassword();
      await this.managers.create({ name: 'Admin', email: this.config.ADMIN_EMAIL, role: 'admin', passwordHash: await hashPassword(password) });
      report.adminCreated = true;
      if (!this.config.ADMIN_PASSWORD) report.generatedPassword = password;
      this.log.log({ msg: 'admin account created', email: this.config.ADMIN_EMAIL });
    }
    const forms = await this.forms.list();
    if (forms.length === 0) {
      const form = await this.forms.create({ name: 'Website form' });
      report.formCreated = true;
      report.formKey = form.key;
      this.log.log({ msg: 'default web form created', formKey: form.key });
    } else {
      report.formKey = forms.find((f) => f.active)?.key;
    }
    return report;
  }
}
