import { CORE_OPTIONS, InboundReplayRegistry, type CoreOptions } from '@leadline/core';
import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { FormAttachmentStore } from './form-attachments';
import { WebFormIntake } from './web-form-intake.service';
import { WebFormController } from './web-form.controller';
import { mapFormSubmission, type FormSubmission } from './web-form.mapper';

/** Website forms posting leads to /api/inbound/forms/:formKey (plain forms, the embed snippet, site builders). */
@Module({ controllers: [WebFormController], providers: [WebFormIntake, FormAttachmentStore], exports: [WebFormIntake] })
export class WebFormModule implements OnModuleInit {
  constructor(
    private readonly replay: InboundReplayRegistry,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  onModuleInit(): void {
    this.replay.register('web_form', (raw) => mapFormSubmission(raw as FormSubmission, this.options.defaultPhoneRegion));
  }
}
