export * from './shared/public-route';
export * from './shared/request-log';
export * from './web-form/web-form.controller';
export * from './web-form/web-form.mapper';
export * from './web-form/web-form.module';
