/**
 * product-service: start it with startProductService (main.ts, the embedded mode),
 * seed the demo catalog with seedDemoCatalog (`commands/seed.ts`). parseListQuery and
 * listProductsSql give the SQL a ListProducts request runs (benchmarks time it alone).
 */
export { seedDemoCatalog } from "./commands/seed";
export { type ListQuery, parseListQuery } from "./list-query";
export { type ListProductsSql, listProductsSql } from "./product-listing";
export {
  PRODUCT_MIGRATIONS_DIR,
  type ProductServiceOptions,
  type RunningProductService,
  startProductService,
} from "./product-service";
