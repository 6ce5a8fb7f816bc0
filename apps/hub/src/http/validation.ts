import { DomainError } from '@leadline/core';
import { StandardSchemaValidationPipe } from '@nestjs/common';

/** Validates `@Body({ schema })` / `@Query({ schema })` with zod and answers 400 naming each bad field. */
export function validationPipe(): StandardSchemaValidationPipe {
  return new StandardSchemaValidationPipe({
    exceptionFactory: (issues) => {
      const fields: Record<string, string> = {};
      for (const issue of issues) {
        const path = (issue.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.') || 'body';
        fields[path] ??= issue.message;
      }
      return DomainError.invalid('invalid request', fields);
    },
  });
}
