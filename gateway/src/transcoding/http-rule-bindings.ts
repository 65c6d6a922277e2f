/**
 * The REST surface, read from the services' descriptors: one binding per
 * google.api.http rule and per additional binding, with its path template, body and
 * response_body resolved against the request and response messages. Nothing here is
 * written per route. An RPC without a rule, marked INTERNAL, or without an access
 * level is not exposed, whatever else its options say.
 */
import { type DescField, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@shop/gen/es/google/api/annotations_pb";
import type { HttpRule } from "@shop/gen/es/google/api/http_pb";
import { accessLevelsFromContracts } from "@shop/libs/grpc";
import { type RpcTarget, rpcTargetOf, type SkippedRpc } from "../edge/rpc-target";
import { resolveFieldPath } from "./field-path";
import { type PathTemplate, parsePathTemplate } from "./path-template";

export type { RpcTarget, SkippedRpc } from "../edge/rpc-target";

export type BodyBinding =
  | { readonly kind: "none" }
  | { readonly kind: "all" }
  | { readonly kind: "field"; readonly field: DescField };

export interface PathVariableBinding {
  /** As written in the template: "book.shelf". */
  readonly name: string;
  readonly fields: readonly DescField[];
}

export interface RestBinding {
  readonly rpc: RpcTarget;
  readonly httpMethod: string;
  readonly template: PathTemplate;
  readonly body: BodyBinding;
  readonly responseBody: DescField | undefined;
  readonly pathVariables: readonly PathVariableBinding[];
  /** 0 for the rule itself, 1.. for its additional_bindings. */
  readonly index: number;
}

/** A rule that cannot work with its messages: a contract error, found at start-up. */
export class HttpRuleError extends Error {
  constructor(rpc: string, problem: string) {
    super(`${rpc}: ${problem}`);
    this.name = "HttpRuleError";
  }
}

export function restBindingsFromServices(services: readonly DescService[]): {
  bindings: RestBinding[];
  skipped: SkippedRpc[];
} {
  const levels = accessLevelsFromContracts(services);
  const bindings: RestBinding[] = [];
  const skipped: SkippedRpc[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const fullName = `${service.typeName}/${method.name}`;
      const skip = (reason: string) => skipped.push({ fullName, reason });
      if (!hasOption(method, http)) {
        skip("no google.api.http rule");
        continue;
      }
      const rpc = rpcTargetOf(service, method, levels);
      if ("skipped" in rpc) {
        skip(rpc.skipped);
        continue;
      }
      const rule = getOption(method, http);
      const rules = [rule, ...rule.additionalBindings];
      rules.forEach((r, index) => {
        bindings.push(bindingFromRule(rpc, r, index));
      });
    }
  }
  return { bindings, skipped };
}

function bindingFromRule(rpc: RpcTarget, rule: HttpRule, index: number): RestBinding {
  const fail = (problem: string): never => {
    throw new HttpRuleError(rpc.fullName, problem);
  };
  const { pattern } = rule;
  if (pattern.case === undefined) fail(`binding ${index} has no HTTP method and path`);
  const [httpMethod, source] =
    pattern.case === "custom"
      ? [pattern.value!.kind.toUpperCase(), pattern.value!.path]
      : [pattern.case!.toUpperCase(), pattern.value as string];
  const template = parsePathTemplate(source);
  const input = rpc.method.input;
  const pathVariables = template.variables.map((variable) => {
    const name = variable.fieldPath.join(".");
    let fields: DescField[] | undefined;
    try {
      fields = resolveFieldPath(input, variable.fieldPath, name);
    } catch (error) {
      return fail(`path variable {${name}}: ${(error as Error).message}`);
    }
    if (!fields) return fail(`path variable {${name}} is not a field of ${input.typeName}`);
    const last = fields[fields.length - 1]!;
    if (last.fieldKind === "list" || last.fieldKind === "map") {
      return fail(`path variable {${name}} is repeated`);
    }
    return { name, fields };
  });
  let body: BodyBinding = { kind: "none" };
  if (rule.body === "*") {
    body = { kind: "all" };
  } else if (rule.body !== "") {
    const field = input.fields.find((f) => f.name === rule.body);
    if (!field) fail(`body "${rule.body}" is not a field of ${input.typeName}`);
    body = { kind: "field", field: field! };
  }
  let responseBody: DescField | undefined;
  if (rule.responseBody !== "") {
    responseBody = rpc.method.output.fields.find((f) => f.name === rule.responseBody);
    if (!responseBody) {
      fail(`response_body "${rule.responseBody}" is not a field of ${rpc.method.output.typeName}`);
    }
  }
  return { rpc, httpMethod, template, body, responseBody, pathVariables, index };
}
