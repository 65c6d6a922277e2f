/**
 * What server reflection shows at the edge: the descriptors of the exposed services,
 * with every method the edge does not serve (INTERNAL, unmarked) removed from its
 * service, and services left with none removed from their file, so grpcurl and
 * friends discover exactly what a client may call. Built once from the same protobuf-es
 * descriptors the routes come from; the files they import (google/api, the shop's
 * options, well-known types) are served unchanged.
 */
import {
  clone,
  type DescExtension,
  type DescFile,
  type DescMessage,
  type DescService,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { RpcTarget } from "../edge/rpc-target";

export interface EdgeReflection {
  /** Fully qualified names of the services a client may call, sorted. */
  listServices(): string[];
  /** The file, then every file it imports, transitively; undefined when unknown. */
  fileByFilename(name: string): Uint8Array[] | undefined;
  /** The file defining a service, method, message, enum or extension, with its imports. */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined;
  fileContainingExtension(extendee: string, number: number): Uint8Array[] | undefined;
  /** The extension numbers known for a message; undefined when the message is unknown. */
  extensionNumbers(extendee: string): number[] | undefined;
}

/**
 * @param targets the RPCs the edge serves
 * @param whole services listed with all their methods (reflection itself, health)
 */
export function createEdgeReflection(
  targets: readonly RpcTarget[],
  whole: readonly DescService[],
): EdgeReflection {
  const served = new Map<string, Set<string>>();
  const services: DescService[] = [];
  const serve = (service: DescService, method: string) => {
    let methods = served.get(service.typeName);
    if (!methods) {
      methods = new Set();
      served.set(service.typeName, methods);
      services.push(service);
    }
    methods.add(method);
  };
  for (const rpc of targets) serve(rpc.service, rpc.method.name);
  for (const service of whole) for (const method of service.methods) serve(service, method.name);

  // Keyed by file name as reflection speaks it: "shop/product/v1/product.proto".
  const files = new Map<string, DescFile>();
  const addFile = (file: DescFile) => {
    if (files.has(fileName(file))) return;
    files.set(fileName(file), file);
    for (const dependency of file.dependencies) addFile(dependency);
  };
  for (const service of services) addFile(service.file);

  const encoded = new Map<string, Uint8Array>();
  /** Fully qualified symbol -> the file defining it. */
  const symbols = new Map<string, string>();
  const extensions: DescExtension[] = [];
  for (const [name, file] of files) {
    encoded.set(name, encodeFiltered(file, served));
    const addMessage = (message: DescMessage) => {
      symbols.set(message.typeName, name);
      message.nestedMessages.forEach(addMessage);
      for (const nested of message.nestedEnums) symbols.set(nested.typeName, name);
      extensions.push(...message.nestedExtensions);
    };
    file.messages.forEach(addMessage);
    for (const enumeration of file.enums) symbols.set(enumeration.typeName, name);
    extensions.push(...file.extensions);
    for (const service of file.services) {
      const methods = served.get(service.typeName);
      if (!methods) continue;
      symbols.set(service.typeName, name);
      for (const method of service.methods) {
        if (methods.has(method.name)) symbols.set(`${service.typeName}.${method.name}`, name);
      }
    }
  }
  for (const extension of extensions) symbols.set(extension.typeName, fileName(extension.file));

  /** The file first, then its imports depth-first, each once. */
  const withImports = (name: string): Uint8Array[] | undefined => {
    if (!files.has(name)) return undefined;
    const order = new Set<string>();
    const visit = (file: DescFile) => {
      if (order.has(fileName(file))) return;
      order.add(fileName(file));
      file.dependencies.forEach(visit);
    };
    visit(files.get(name)!);
    return [...order].map((each) => encoded.get(each)!);
  };
  const extensionsOf = (extendee: string) =>
    extensions.filter((extension) => extension.extendee.typeName === extendee);

  return {
    listServices: () => [...served.keys()].sort(),
    fileByFilename: withImports,
    fileContainingSymbol(symbol) {
      const file = symbols.get(symbol.replace(/^\./, ""));
      return file === undefined ? undefined : withImports(file);
    },
    fileContainingExtension(extendee, number) {
      const extension = extensionsOf(extendee).find((e) => e.number === number);
      return extension ? withImports(fileName(extension.file)) : undefined;
    },
    extensionNumbers(extendee) {
      if (!symbols.has(extendee)) return undefined;
      return extensionsOf(extendee)
        .map((extension) => extension.number)
        .sort((a, b) => a - b);
    },
  };
}

const fileName = (file: DescFile) => `${file.name}.proto`;

/** The file's descriptor with only the served services and methods. */
function encodeFiltered(file: DescFile, served: ReadonlyMap<string, Set<string>>): Uint8Array {
  const proto = clone(FileDescriptorProtoSchema, file.proto);
  const prefix = proto.package ? `${proto.package}.` : "";
  proto.service = proto.service
    .filter((service) => served.has(`${prefix}${service.name}`))
    .map((service) => {
      const methods = served.get(`${prefix}${service.name}`)!;
      service.method = service.method.filter((method) => methods.has(method.name));
      return service;
    });
  return toBinary(FileDescriptorProtoSchema, proto);
}
