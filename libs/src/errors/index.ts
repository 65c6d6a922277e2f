export { httpStatusFromCode } from "./http-status";
export { toServiceError } from "./map-error";
export {
  Code,
  type FieldViolation,
  type PreconditionViolation,
  ServiceError,
  type ServiceErrorOptions,
} from "./service-error";
