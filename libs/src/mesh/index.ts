export { SERVICES, type ServiceName, type ServiceSpec, serviceSpec } from "./services";
