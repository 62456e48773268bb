import { CacheInterceptor, CacheTTL } from '@nestjs/cache-manager';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  NotFoundException,
  Param,
  UseInterceptors,
} from '@nestjs/common';

/** One entry of the catalog. */
export interface Item {
  id: string;
  name: string;
  /** When the catalog looked it up: the same in a cached answer. */
  lookedUpAt: string;
}

/**
 * A slow source of items (a database, another service). It counts its lookups, so the cache's
 * effect is visible: a cached `GET /items/:id` never gets here.
 */
@Injectable()
export class ItemCatalog {
  lookups = 0;

  async find(id: string): Promise<Item | undefined> {
    if (!/^\d+$/.test(id)) return undefined;
    this.lookups++;
    return { id, name: `item ${id}`, lookedUpAt: new Date().toISOString() };
  }
}

/**
 * `GET /items/:id`, cached by Nest's own `CacheInterceptor` in the Sentinel deployment: the key is
 * the URL (`example:/items/1` with the module's namespace), written to the master, read from a
 * replica.
 */
@Controller('items')
@UseInterceptors(CacheInterceptor)
export class ItemsController {
  constructor(@Inject(ItemCatalog) private readonly catalog: ItemCatalog) {}

  @Get(':id')
  @CacheTTL(60_000) // milliseconds, as everywhere in Nest 12
  async get(@Param('id') id: string): Promise<Item> {
    const item = await this.catalog.find(id);
    if (!item) throw new NotFoundException(`no item ${id}`);
    return item;
  }
}
