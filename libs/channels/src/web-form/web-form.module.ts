import { ChannelRegistry, CORE_OPTIONS, InboundReplayRegistry, type ChannelPlugin, type CoreOptions } from '@leadline/core';
import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { FormAttachmentStore } from './form-attachments';
import { WebFormIntake } from './web-form-intake.service';
import { WebFormController } from './web-form.controller';
import { mapFormSubmission, type FormSubmission } from './web-form.mapper';

/** Web forms are always on (each form has its own key); they bring phones and emails, owned by telephony and email. */
export const WEB_FORM_CHANNEL: ChannelPlugin = {
  name: 'web_form',
  iconKey: 'web_form',
  label: { en: 'Web form', ru: 'Веб-форма' },
  order: 10,
  capabilities: { inbound: true, reply: false, media: false, templates: false, calls: false, subject: false },
  identityKinds: [],
  // A form's 403 is an origin it does not allow: a refused post, not a forged one.
  inboundRoutes: { prefixes: ['/api/inbound/forms/'], signed: false },
  availability: async () => ({ receives: true, sends: false, calls: false, enableWith: [] }),
};

/** Website forms posting leads to /api/inbound/forms/:formKey (plain forms, the embed snippet, site builders). */
@Module({ controllers: [WebFormController], providers: [WebFormIntake, FormAttachmentStore], exports: [WebFormIntake] })
export class WebFormModule implements OnModuleInit {
  constructor(
    private readonly replay: InboundReplayRegistry,
    private readonly channels: ChannelRegistry,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  onModuleInit(): void {
    this.channels.register(WEB_FORM_CHANNEL);
    this.replay.register('web_form', (raw) => mapFormSubmission(raw as FormSubmission, this.options.defaultPhoneRegion));
  }
}
