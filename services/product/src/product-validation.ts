/**
 * The rules of the contract's field comments for catalog writes. Every violation is
 * collected, then thrown at once as INVALID_ARGUMENT naming each field by its proto
 * path (`product.price.currency_code`, `product.tags[3]`).
 */
import type {
  CreateProductRequest,
  Money,
  UpdateProductRequest,
} from "@shop/gen/ts/shop/product/v1/product";
import { type FieldViolation, ServiceError } from "@shop/libs/errors";

/** The writable fields of a product. */
export interface ProductFields {
  sku: string;
  name: string;
  description: string;
  priceMinor: bigint;
  currencyCode: string;
  imageUrl: string;
  category: string;
  tags: string[];
  active: boolean;
}

/** The masked fields of an update; price sets priceMinor and currencyCode together. */
export type ProductPatch = Partial<ProductFields>;

/** Paths an update_mask may name, as in the contract. */
export const UPDATABLE_PATHS = [
  "sku",
  "name",
  "description",
  "price",
  "image_url",
  "category",
  "tags",
  "active",
] as const;
type UpdatablePath = (typeof UPDATABLE_PATHS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SKU = /^[A-Za-z0-9._-]{1,64}$/;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_INT64 = 2n ** 63n - 1n;
export const MAX_INT32 = 2 ** 31 - 1;

/** Length in characters (code points), as PostgreSQL's char_length counts. */
export const charLength = (text: string): number => [...text].length;

/** Collects violations; `throwIfAny` raises them as one INVALID_ARGUMENT. */
export class Violations {
  readonly list: FieldViolation[] = [];
  add(field: string, description: string): void {
    this.list.push({ field, description });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw ServiceError.invalidArgument(this.list);
  }
}

/** A required UUID such as product_id. */
export function checkUuid(v: Violations, field: string, value: string): void {
  if (value === "") v.add(field, "required");
  else if (!UUID.test(value)) v.add(field, "must be a UUID");
}

// NUL cannot be stored in PostgreSQL text (SQLSTATE 22021), and other C0 controls
// (tab, newline and carriage return aside) have no place in a catalog.
const ALLOWED_CONTROLS = new Set([0x09, 0x0a, 0x0d]);

/** Whether a text has NUL or other control characters (tab and line breaks allowed). */
export function hasControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 || code === 0x7f) && !ALLOWED_CONTROLS.has(code)) return true;
  }
  return false;
}

function checkText(v: Violations, field: string, value: string, max: number, required: boolean) {
  if (required && value.trim() === "") v.add(field, "required");
  else if (charLength(value) > max) v.add(field, `at most ${max} characters`);
  else if (hasControlCharacters(value)) v.add(field, "must not contain control characters");
}

function checkPrice(v: Violations, field: string, price: Money | undefined): void {
  if (!price) {
    v.add(field, "required");
    return;
  }
  if (!CURRENCY.test(price.currencyCode)) {
    v.add(`${field}.currency_code`, "must be an ISO 4217 code of three upper-case letters");
  }
  if (price.amountMinor < 0n || price.amountMinor > MAX_INT64) {
    v.add(`${field}.amount_minor`, "must be zero or more");
  }
}

function checkImageUrl(v: Violations, field: string, value: string): void {
  if (value === "") return;
  if (charLength(value) > 2048) {
    v.add(field, "at most 2048 characters");
    return;
  }
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    v.add(field, "must be an absolute http(s) URL");
  }
}

/** Tags of a product or a filter: at most 20, each 1-50 characters, no repeats. */
export function checkTags(v: Violations, field: string, tags: readonly string[]): void {
  if (tags.length > 20) v.add(field, "at most 20 tags");
  tags.forEach((tag, i) => {
    if (tag.trim() === "") v.add(`${field}[${i}]`, "must not be empty");
    else if (charLength(tag) > 50) v.add(`${field}[${i}]`, "at most 50 characters");
    else if (hasControlCharacters(tag))
      v.add(`${field}[${i}]`, "must not contain control characters");
    else if (tags.indexOf(tag) !== i)
      v.add(`${field}[${i}]`, `repeats ${field}[${tags.indexOf(tag)}]`);
  });
}

function checkField(v: Violations, path: UpdatablePath, fields: ProductFields, p: string): void {
  switch (path) {
    case "sku":
      if (fields.sku === "") v.add(`${p}.sku`, "required");
      else if (!SKU.test(fields.sku)) v.add(`${p}.sku`, "1-64 characters of A-Z a-z 0-9 . _ -");
      break;
    case "name":
      checkText(v, `${p}.name`, fields.name, 200, true);
      break;
    case "description":
      checkText(v, `${p}.description`, fields.description, 5000, false);
      break;
    case "image_url":
      checkImageUrl(v, `${p}.image_url`, fields.imageUrl);
      break;
    case "category":
      checkText(v, `${p}.category`, fields.category, 100, false);
      break;
    case "tags":
      checkTags(v, `${p}.tags`, fields.tags);
      break;
    case "price":
    case "active":
      break;
  }
}

/** CreateProduct's product and initial stock; throws INVALID_ARGUMENT. */
export function validateNewProduct(request: CreateProductRequest): {
  fields: ProductFields;
  initialStock: number;
} {
  const v = new Violations();
  const product = request.product;
  if (!product) v.add("product", "required");
  if (request.initialStock < 0) v.add("initial_stock", "must be zero or more");
  if (!product) v.throwIfAny();
  const fields: ProductFields = {
    sku: product!.sku,
    name: product!.name,
    description: product!.description,
    priceMinor: product!.price?.amountMinor ?? 0n,
    currencyCode: product!.price?.currencyCode ?? "",
    imageUrl: product!.imageUrl,
    category: product!.category,
    tags: [...product!.tags],
    active: product!.active,
  };
  for (const path of UPDATABLE_PATHS) checkField(v, path, fields, "product");
  checkPrice(v, "product.price", product!.price);
  v.throwIfAny();
  return { fields, initialStock: request.initialStock };
}

/** UpdateProduct's target, masked fields and expected version; throws INVALID_ARGUMENT. */
export function validateProductUpdate(request: UpdateProductRequest): {
  id: string;
  patch: ProductPatch;
  expectedVersion: bigint;
} {
  const v = new Violations();
  const product = request.product;
  if (!product) v.add("product", "required");
  else checkUuid(v, "product.id", product.id);
  const paths = request.updateMask ?? [];
  if (paths.length === 0) v.add("update_mask", "required: name the fields to write");
  paths.forEach((path, i) => {
    if (!(UPDATABLE_PATHS as readonly string[]).includes(path)) {
      v.add(`update_mask.paths[${i}]`, `must be one of ${UPDATABLE_PATHS.join(", ")}`);
    }
  });
  if (request.expectedVersion <= 0n) v.add("expected_version", "required: the version you read");
  v.throwIfAny();
  const p = product!;
  const fields: ProductFields = {
    sku: p.sku,
    name: p.name,
    description: p.description,
    priceMinor: p.price?.amountMinor ?? 0n,
    currencyCode: p.price?.currencyCode ?? "",
    imageUrl: p.imageUrl,
    category: p.category,
    tags: [...p.tags],
    active: p.active,
  };
  const patch: ProductPatch = {};
  for (const path of new Set(paths) as Set<UpdatablePath>) {
    checkField(v, path, fields, "product");
    switch (path) {
      case "price":
        checkPrice(v, "product.price", p.price);
        patch.priceMinor = fields.priceMinor;
        patch.currencyCode = fields.currencyCode;
        break;
      case "image_url":
        patch.imageUrl = fields.imageUrl;
        break;
      default:
        (patch as Record<string, unknown>)[path] = fields[path];
    }
  }
  v.throwIfAny();
  return { id: p.id, patch, expectedVersion: request.expectedVersion };
}
