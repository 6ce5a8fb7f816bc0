import { CompaniesService, type Viewer } from '@leadline/core';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer } from '../auth/auth.decorators';
import { createCompanySchema, linkContactSchema, listCompaniesQuery, updateCompanySchema } from './company-schemas';
import { pageQuery } from './schemas';
import type { Company, CompanyDetails, CompanySuggestionResponse, CompanyTimelineEntry, Page } from '@leadline/contracts';
import { asJson } from './as-json';

@ApiTags('companies')
@Controller('api')
export class CompaniesController {
  constructor(private readonly companies: CompaniesService) {}

  @Get('companies')
  list(@Query({ schema: listCompaniesQuery }) q: z.infer<typeof listCompaniesQuery>): Promise<Page<Company>> {
    return this.companies.list(q);
  }

  @Post('companies')
  create(@Body({ schema: createCompanySchema }) body: z.infer<typeof createCompanySchema>): Promise<Company> {
    return this.companies.create(body);
  }

  /** The company page: company, contact persons and deals. */
  @Get('companies/:id')
  get(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string): Promise<CompanyDetails> {
    return asJson(this.companies.get(viewer, id));
  }

  @Patch('companies/:id')
  update(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: updateCompanySchema }) body: z.infer<typeof updateCompanySchema>): Promise<Company> {
    return this.companies.update(viewer, id, body);
  }

  /** Admins only; the contacts stay, without a company. */
  @Delete('companies/:id')
  @HttpCode(200)
  remove(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string) {
    return this.companies.remove(viewer, id);
  }

  /** The merged timeline of all the company's contacts, newest first, cursor-paginated. */
  @Get('companies/:id/timeline')
  timeline(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Query({ schema: pageQuery }) q: z.infer<typeof pageQuery>): Promise<Page<CompanyTimelineEntry>> {
    return this.companies.timeline(viewer, id, q);
  }

  @Post('companies/:id/contacts')
  @HttpCode(200)
  link(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: linkContactSchema }) body: z.infer<typeof linkContactSchema>): Promise<Company> {
    return this.companies.linkContact(viewer, id, body.contactId);
  }

  @Delete('companies/:id/contacts/:contactId')
  @HttpCode(200)
  unlink(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Param('contactId', ParseUUIDPipe) contactId: string): Promise<Company> {
    return this.companies.unlinkContact(viewer, id, contactId);
  }

  /** `{ suggestion: { domain, company } | null }`: the company the contact's email domain points to. */
  @Get('contacts/:id/company-suggestion')
  async suggestion(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string): Promise<CompanySuggestionResponse> {
    return { suggestion: await this.companies.suggestion(viewer, id) };
  }

  /** Accepts the suggestion: the contact joins the suggested company. */
  @Post('contacts/:id/company-suggestion/accept')
  @HttpCode(200)
  accept(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string): Promise<Company> {
    return this.companies.acceptSuggestion(viewer, id);
  }
}
