/**
 * The catalog: reads through the cache, and admin writes that bump the version, write
 * ProductChanged (and StockChanged for stock) to the outbox in the same transaction,
 * and invalidate the cache once committed.
 */
import type {
  AdjustStockRequest,
  CreateProductRequest,
  ListProductsRequest,
  Product,
  UpdateProductRequest,
} from "@shop/gen/ts/shop/product/v1/product";
import { withTransaction } from "@shop/libs/db";
import { Code, ServiceError } from "@shop/libs/errors";
import type { Pool, PoolClient } from "pg";
import { parseListQuery } from "./list-query";
import type { ProductCache } from "./product-cache";
import { writeProductChanged } from "./product-events";
import { listProducts, type ProductPage } from "./product-listing";
import {
  findProduct,
  insertProduct,
  softDeleteProductRow,
  updateProductRow,
} from "./product-repository";
import {
  charLength,
  checkUuid,
  MAX_INT32,
  Violations,
  validateNewProduct,
  validateProductUpdate,
} from "./product-validation";
import { lockStock, moveStock, moveStocks } from "./stock-ledger";

export interface Catalog {
  getProduct(id: string): Promise<Product>;
  listProducts(request: ListProductsRequest): Promise<ProductPage>;
  createProduct(request: CreateProductRequest): Promise<Product>;
  updateProduct(request: UpdateProductRequest): Promise<Product>;
  deleteProduct(id: string): Promise<void>;
  adjustStock(request: AdjustStockRequest): Promise<Product>;
}

function validId(field: string, id: string): string {
  const v = new Violations();
  checkUuid(v, field, id);
  v.throwIfAny();
  return id.toLowerCase();
}

const notFound = (id: string) => ServiceError.notFound(`product ${id} does not exist`);

/** The product as it is now inside the transaction (after its writes). */
async function current(client: PoolClient, id: string): Promise<Product> {
  return (await findProduct(client, id))!.product;
}

/**
 * Creates a product with its stock row; the initial stock is an ADJUSTED ledger row,
 * so the ledger accounts for every unit. Used by CreateProduct and the seed command.
 */
export async function createProductInTransaction(
  client: PoolClient,
  { fields, initialStock }: ReturnType<typeof validateNewProduct>,
): Promise<Product> {
  const id = await insertProduct(client, fields);
  if (initialStock > 0) {
    await moveStock(client, {
      productId: id,
      reason: "ADJUSTED",
      quantity: initialStock,
      note: "initial stock",
    });
  }
  const product = await current(client, id);
  await writeProductChanged(client, "created", product);
  return product;
}

export function createCatalog(options: { pool: Pool; cache: ProductCache }): Catalog {
  const { pool, cache } = options;

  return {
    async getProduct(rawId) {
      const id = validId("product_id", rawId);
      const product = await cache.product(id, async () => {
        const stored = await findProduct(pool, id);
        return stored && !stored.deleted ? stored.product : undefined;
      });
      if (!product) throw notFound(id);
      return product;
    },

    async listProducts(request) {
      const query = parseListQuery(request);
      const load = () => listProducts(pool, query);
      return query.cursor ? load() : cache.firstPage(query, load);
    },

    async createProduct(request) {
      const input = validateNewProduct(request);
      const product = await withTransaction(pool, (client) =>
        createProductInTransaction(client, input),
      );
      await cache.invalidate([product.id]);
      return product;
    },

    async updateProduct(request) {
      const { id: rawId, patch, expectedVersion } = validateProductUpdate(request);
      const id = rawId.toLowerCase();
      const product = await withTransaction(pool, async (client) => {
        const stored = await findProduct(client, id, { lock: true });
        if (!stored || stored.deleted) throw notFound(id);
        if (stored.product.version !== expectedVersion) {
          throw new ServiceError(
            Code.ABORTED,
            `product ${id} is at version ${stored.product.version}, not ${expectedVersion}: ` +
              "read it again and retry",
            {
              reason: "VERSION_MISMATCH",
              reasonMetadata: { current_version: String(stored.product.version) },
            },
          );
        }
        await updateProductRow(client, id, patch);
        const updated = await current(client, id);
        await writeProductChanged(client, "updated", updated);
        return updated;
      });
      await cache.invalidate([id]);
      return product;
    },

    async deleteProduct(rawId) {
      const id = validId("product_id", rawId);
      await withTransaction(pool, async (client) => {
        const stored = await findProduct(client, id, { lock: true });
        if (!stored) throw notFound(id);
        // Deleting again succeeds without a second event: the RPC is idempotent.
        if (stored.deleted) return;
        await softDeleteProductRow(client, id);
        await writeProductChanged(client, "deleted", stored.product, stored.product.version + 1n);
      });
      await cache.invalidate([id]);
    },

    async adjustStock(request) {
      const v = new Violations();
      checkUuid(v, "product_id", request.productId);
      if (request.delta === 0) v.add("delta", "required: a non-zero number of units");
      if (charLength(request.reason) > 200) v.add("reason", "at most 200 characters");
      v.throwIfAny();
      const id = request.productId.toLowerCase();
      const product = await withTransaction(pool, async (client) => {
        const level = (await lockStock(client, [id])).get(id);
        const stored = level && (await findProduct(client, id));
        if (!level || !stored || stored.deleted) throw notFound(id);
        const after = level.available + request.delta;
        if (after < 0) {
          throw ServiceError.failedPrecondition(
            `cannot remove ${-request.delta} units of product ${id}: ${level.available} available`,
            [
              {
                type: "STOCK",
                subject: id,
                description: `available ${level.available}, delta ${request.delta}`,
              },
            ],
          );
        }
        if (after > MAX_INT32) {
          throw ServiceError.invalidArgument([
            { field: "delta", description: `available stock would exceed ${MAX_INT32}` },
          ]);
        }
        await moveStocks(client, [
          {
            productId: id,
            reason: "ADJUSTED",
            quantity: request.delta,
            before: level,
            note: request.reason,
          },
        ]);
        return current(client, id);
      });
      await cache.invalidate([id]);
      return product;
    },
  };
}
