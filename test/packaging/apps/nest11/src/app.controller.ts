import { Controller, Get, Param, Put } from '@nestjs/common';
// Imported as a value: Nest injects AppService by the class that decorator metadata records.
import { AppService } from './app.service';

@Controller('value')
export class AppController {
  constructor(private readonly appService: AppService) {}

  @Put(':value')
  async save(@Param('value') value: string): Promise<{ wrote: string }> {
    await this.appService.save(value);
    return { wrote: value };
  }

  @Get()
  async load(): Promise<{ read: string | null }> {
    return { read: await this.appService.load() };
  }
}
