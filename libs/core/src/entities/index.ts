import { Activity } from './activity.entity';
import { AuthSession } from './auth-session.entity';
import { ContactIdentity } from './contact-identity.entity';
import { Contact } from './contact.entity';
import { Deal } from './deal.entity';
import { InboundReceipt } from './inbound-receipt.entity';
import { Manager } from './manager.entity';
import { OutboxMessage } from './outbox-message.entity';
import { Pipeline } from './pipeline.entity';
import { StageRule } from './stage-rule.entity';
import { Stage } from './stage.entity';
import { Task } from './task.entity';
import { WebForm } from './web-form.entity';

export { Activity, AuthSession, Contact, ContactIdentity, Deal, InboundReceipt, Manager, OutboxMessage, Pipeline, Stage, StageRule, Task, WebForm };
export type { ActivityKind } from './activity.entity';
export type { DealSource } from './deal.entity';
export type { ManagerRole } from './manager.entity';
export type { OutboxStatus } from './outbox-message.entity';
export type { ReceiptStatus } from './inbound-receipt.entity';
export { FORM_FIELD_TARGETS, type FormFieldTarget, type FormThankYou } from './web-form.entity';
export type { StageRuleDueUnit, StageRuleTarget } from './stage-rule.entity';
export type { TaskKind, TaskStatus } from './task.entity';

export const CORE_ENTITIES = [Manager, Contact, ContactIdentity, Deal, Task, Activity, InboundReceipt, OutboxMessage, WebForm, AuthSession, Pipeline, Stage, StageRule];
