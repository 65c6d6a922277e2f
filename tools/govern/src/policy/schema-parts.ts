/** Building blocks of the policy schema: closed objects, references, bounded numbers. */

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
export const closed = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  additionalProperties: false,
  properties,
  ...(required.length > 0 ? { required } : {}),
});
export const complete = (name: string, required: string[]): Schema => ({
  allOf: [ref(name), { required }],
});
export const text = (description: string): Schema => ({
  type: "string",
  minLength: 1,
  description,
});
export const int = (minimum: number, maximum?: number): Schema => ({
  type: "integer",
  minimum,
  ...(maximum === undefined ? {} : { maximum }),
});
export const percent: Schema = { type: "number", minimum: 0, maximum: 100 };
export const SERVICE = "^[a-z][a-z0-9-]*$";
export const SLUG = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
