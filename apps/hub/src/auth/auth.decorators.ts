import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { ManagerRole, Viewer } from '@leadline/core';

export { Public, PUBLIC_ROUTE } from '@leadline/channels';

export const REQUIRED_ROLE = 'leadline:role';
/** Only this role may call the route. */
export const RequireRole = (role: ManagerRole) => SetMetadata(REQUIRED_ROLE, role);

/** The logged-in manager. */
export const CurrentViewer = createParamDecorator((_: unknown, ctx: ExecutionContext): Viewer => ctx.switchToHttp().getRequest().viewer);

export const SESSION_COOKIE = 'leadline_session';
