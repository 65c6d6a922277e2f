/**
 * product-service: start it with startProductService (main.ts, the embedded mode),
 * seed the demo catalog with seedDemoCatalog (`commands/seed.ts`).
 */
export { seedDemoCatalog } from "./commands/seed";
export {
  PRODUCT_MIGRATIONS_DIR,
  type ProductServiceOptions,
  type RunningProductService,
  startProductService,
} from "./product-service";
