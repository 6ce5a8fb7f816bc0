import { PipelinesService, StageRulesService } from '@leadline/core';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { RequireRole } from '../auth/auth.decorators';
import {
  createPipelineSchema,
  createStageRuleSchema,
  createStageSchema,
  reorderStagesSchema,
  updatePipelineSchema,
  updateStageRuleSchema,
  updateStageSchema,
} from './schemas';
import type { Pipeline, Stage, StageRule } from '@leadline/contracts';

/** Pipelines, stages and stage rules. Everyone logged in may read them (the deals board); only admins change them. */
@ApiTags('pipelines')
@Controller('api')
export class PipelinesController {
  constructor(
    private readonly pipelines: PipelinesService,
    private readonly rules: StageRulesService,
  ) {}

  /** Every pipeline with its stages in order (deal counts and rules included), the default first. */
  @Get('pipelines')
  list(): Promise<Pipeline[]> {
    return this.pipelines.list();
  }

  @Get('pipelines/:id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<Pipeline> {
    return this.pipelines.get(id);
  }

  /** Without `stages` the pipeline starts with the standard ones. */
  @Post('pipelines')
  @RequireRole('admin')
  create(@Body({ schema: createPipelineSchema }) body: z.infer<typeof createPipelineSchema>): Promise<Pipeline> {
    return this.pipelines.create(body);
  }

  /** Rename, or `isDefault: true` to make it the pipeline new leads land in. */
  @Patch('pipelines/:id')
  @RequireRole('admin')
  update(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: updatePipelineSchema }) body: z.infer<typeof updatePipelineSchema>): Promise<Pipeline> {
    return this.pipelines.update(id, body);
  }

  /** Only a pipeline without deals that is not the default (409 otherwise). */
  @Delete('pipelines/:id')
  @RequireRole('admin')
  @HttpCode(204)
  async remove(@Param('id', ParseUUIDPipe) id: string) {
    await this.pipelines.remove(id);
  }

  /** A new open stage goes before won/lost unless `position` says otherwise. */
  @Post('pipelines/:id/stages')
  @RequireRole('admin')
  addStage(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: createStageSchema }) body: z.infer<typeof createStageSchema>): Promise<Stage> {
    return this.pipelines.addStage(id, body);
  }

  /** `stageIds`: every stage of the pipeline once, in the new order. */
  @Put('pipelines/:id/stages/order')
  @RequireRole('admin')
  reorder(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: reorderStagesSchema }) body: z.infer<typeof reorderStagesSchema>) {
    return this.pipelines.reorderStages(id, body.stageIds);
  }

  @Patch('stages/:id')
  @RequireRole('admin')
  renameStage(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: updateStageSchema }) body: z.infer<typeof updateStageSchema>) {
    return this.pipelines.renameStage(id, body);
  }

  /** 409 naming how many deals are in the stage, or when it is the pipeline's last open/won/lost stage. */
  @Delete('stages/:id')
  @RequireRole('admin')
  @HttpCode(204)
  async removeStage(@Param('id', ParseUUIDPipe) id: string) {
    await this.pipelines.removeStage(id);
  }

  @Get('stages/:id/rules')
  listRules(@Param('id', ParseUUIDPipe) id: string): Promise<StageRule[]> {
    return this.rules.list(id);
  }

  /** "On entering this stage create task `title` for `assignTo`, due in `dueIn` `dueUnit` of business time." */
  @Post('stages/:id/rules')
  @RequireRole('admin')
  createRule(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: createStageRuleSchema }) body: z.infer<typeof createStageRuleSchema>): Promise<StageRule> {
    return this.rules.create(id, body);
  }

  @Patch('stage-rules/:id')
  @RequireRole('admin')
  updateRule(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: updateStageRuleSchema }) body: z.infer<typeof updateStageRuleSchema>): Promise<StageRule> {
    return this.rules.update(id, body);
  }

  @Delete('stage-rules/:id')
  @RequireRole('admin')
  @HttpCode(204)
  async removeRule(@Param('id', ParseUUIDPipe) id: string) {
    await this.rules.remove(id);
  }
}
