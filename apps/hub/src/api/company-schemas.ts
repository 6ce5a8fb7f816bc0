import { z } from 'zod';

export const listCompaniesQuery = z.object({
  search: z.string().max(200).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const fields = {
  name: z.string().trim().min(1).max(300),
  domain: z.string().trim().max(300).nullable(),
  legalId: z.string().trim().max(100).nullable(),
};
export const createCompanySchema = z.object(fields).partial({ domain: true, legalId: true });
export const updateCompanySchema = z.object(fields).partial();
export const linkContactSchema = z.object({ contactId: z.uuid() });
