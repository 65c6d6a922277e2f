/**
 * @shop/libs: the shared runtime. Import from the subpath of the concern
 * (`@shop/libs/db`, `@shop/libs/mesh`, ...); this root re-exports the mesh catalogue.
 */
export * from "./mesh";
