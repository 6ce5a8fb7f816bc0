import { SetMetadata } from '@nestjs/common';

/** Metadata key read by the hub's auth guard. */
export const PUBLIC_ROUTE = 'leadline:public';

/** No login needed: inbound webhooks verify their sender themselves (form key, signature, secret token). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
