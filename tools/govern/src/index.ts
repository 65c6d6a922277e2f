export { type BoundaryViolation, findBoundaryViolations } from "./import-boundaries";
