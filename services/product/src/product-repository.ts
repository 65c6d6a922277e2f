/**
 * SQL of the catalog: products with their available stock. Parameterised queries
 * with explicit column lists; callers pass the pool or the client of their transaction.
 */
import type { Product } from "@shop/gen/ts/shop/product/v1/product";
import { Code, ServiceError } from "@shop/libs/errors";
import type { Pool, PoolClient } from "pg";
import type { ProductFields, ProductPatch } from "./product-validation";

/** The pool, or a client inside a transaction. */
export type Queryable = Pick<Pool | PoolClient, "query">;

/** A product as stored, with whether it was soft-deleted. */
export interface StoredProduct {
  product: Product;
  deleted: boolean;
}

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_minor: string;
  currency_code: string;
  image_url: string;
  category: string;
  tags: string[];
  active: boolean;
  version: string;
  created_at: Date;
  updated_at: Date;
  available: number;
}

/** The columns every read selects, for `FROM products p JOIN stock s`. */
export const PRODUCT_COLUMNS = `p.id, p.sku, p.name, p.description, p.price_minor, p.currency_code,
  p.image_url, p.category, p.tags, p.active, p.version, p.created_at, p.updated_at, s.available`;

export function productFromRow(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    price: { currencyCode: row.currency_code, amountMinor: BigInt(row.price_minor) },
    imageUrl: row.image_url,
    category: row.category,
    tags: row.tags,
    active: row.active,
    createTime: row.created_at,
    updateTime: row.updated_at,
    version: BigInt(row.version),
    availableStock: row.available,
  };
}

/** The product, deleted or not; undefined when the id was never used. */
export async function findProduct(
  db: Queryable,
  id: string,
  options: { lock?: boolean } = {},
): Promise<StoredProduct | undefined> {
  const { rows } = await db.query<ProductRow & { deleted: boolean }>(
    `SELECT ${PRODUCT_COLUMNS}, p.deleted_at IS NOT NULL AS deleted
       FROM products p JOIN stock s ON s.product_id = p.id
      WHERE p.id = $1${options.lock ? " FOR NO KEY UPDATE OF p" : ""}`,
    [id],
  );
  const row = rows[0];
  return row && { product: productFromRow(row), deleted: row.deleted };
}

/** The live product with this sku, if any. */
export async function findProductIdBySku(db: Queryable, sku: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM products WHERE sku = $1 AND deleted_at IS NULL",
    [sku],
  );
  return rows[0]?.id;
}

/** A unique violation on the sku index as the contract's ALREADY_EXISTS. */
async function skuTaken<T>(sku: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: unknown }).code === "23505") {
      throw new ServiceError(Code.ALREADY_EXISTS, `sku ${sku} is already taken`, {
        cause: error,
        reason: "SKU_TAKEN",
      });
    }
    throw error;
  }
}

/** Inserts the product and its stock row (levels all zero); returns its id. */
export async function insertProduct(client: PoolClient, fields: ProductFields): Promise<string> {
  const { rows } = await skuTaken(fields.sku, () =>
    client.query<{ id: string }>(
      `INSERT INTO products
         (sku, name, description, price_minor, currency_code, image_url, category, tags, active)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING id`,
      [
        fields.sku,
        fields.name,
        fields.description,
        fields.priceMinor.toString(),
        fields.currencyCode,
        fields.imageUrl,
        fields.category,
        fields.tags,
        fields.active,
      ],
    ),
  );
  const id = rows[0]!.id;
  await client.query(
    "INSERT INTO stock (product_id, available, reserved, sold) VALUES ($1, 0, 0, 0)",
    [id],
  );
  return id;
}

const PATCH_COLUMNS: Record<keyof ProductFields, string> = {
  sku: "sku",
  name: "name",
  description: "description",
  priceMinor: "price_minor",
  currencyCode: "currency_code",
  imageUrl: "image_url",
  category: "category",
  tags: "tags",
  active: "active",
};

/** Writes the patch and increments the version. The caller holds the row lock. */
export async function updateProductRow(
  client: PoolClient,
  id: string,
  patch: ProductPatch,
): Promise<void> {
  const sets = ["version = version + 1", "updated_at = now()"];
  const values: unknown[] = [id];
  for (const [key, value] of Object.entries(patch)) {
    values.push(typeof value === "bigint" ? value.toString() : value);
    sets.push(`${PATCH_COLUMNS[key as keyof ProductFields]} = $${values.length}`);
  }
  await skuTaken(patch.sku, () =>
    client.query(`UPDATE products SET ${sets.join(", ")} WHERE id = $1`, values),
  );
}

/** Marks the product deleted (its sku becomes free) and increments the version. */
export async function softDeleteProductRow(client: PoolClient, id: string): Promise<void> {
  await client.query(
    `UPDATE products SET deleted_at = now(), updated_at = now(), version = version + 1
      WHERE id = $1 AND deleted_at IS NULL`,
    [id],
  );
}
