import {
  compareTemplates,
  matchPathTemplate,
  PathTemplateError,
  PathValueError,
  parsePathTemplate,
  splitRequestPath,
} from "./path-template";

const match = (template: string, path: string) =>
  matchPathTemplate(parsePathTemplate(template), splitRequestPath(path)!);

describe("parsePathTemplate", () => {
  it("reads literals, variables with patterns, ** and a verb", () => {
    const template = parsePathTemplate("/v1/{name=shelves/*/books/*}/{rest=**}:move");
    expect(template.verb).toBe("move");
    expect(template.segments.map((s) => s.kind)).toEqual([
      "literal",
      "literal",
      "single",
      "literal",
      "single",
      "multi",
    ]);
    expect(template.variables).toEqual([
      { fieldPath: ["name"], start: 1, end: 5 },
      { fieldPath: ["rest"], start: 5, end: 6 },
    ]);
  });

  it.each([
    ["v1/x", /start with/],
    ["/v1/**/x", /last segment/],
    ["/v1/{a}/{a}", /bound twice/],
    ["/v1/{a", /unbalanced/],
    ["/v1/{a{b}}", /nested/],
    ["/v1//x", /empty segment/],
    ["/v1/{a=}", /empty pattern/],
    ["/v1/{a-b}", /bad field path/],
    ["/v1/x y", /bad literal/],
    ["/v1/x:bad verb", /bad verb/],
    ["/v1/{a}}", /unbalanced/],
  ])("refuses %s", (source, problem) => {
    expect(() => parsePathTemplate(source)).toThrow(PathTemplateError);
    expect(() => parsePathTemplate(source)).toThrow(problem);
  });
});

describe("matchPathTemplate", () => {
  it("binds single and nested variables, decoding them", () => {
    expect(match("/v1/{a}/{b.c}", "/v1/x%20y/z")).toEqual(
      new Map([
        ["a", "x y"],
        ["b.c", "z"],
      ]),
    );
  });

  it("needs the verb when the template has one, and not otherwise", () => {
    expect(match("/v1/{a}:go", "/v1/x:go")?.get("a")).toBe("x");
    expect(match("/v1/{a}:go", "/v1/x")).toBeUndefined();
    expect(match("/v1/{a}:go", "/v1/:go")).toBeUndefined();
    expect(match("/v1/{a}", "/v1/x:go")?.get("a")).toBe("x:go");
  });

  it("matches ** over zero or more segments", () => {
    expect(match("/v1/**", "/v1")).toEqual(new Map());
    expect(match("/v1/{p=**}", "/v1/a/b")?.get("p")).toBe("a/b");
    expect(match("/v1/{p=x/**}", "/v1/x/a/b")?.get("p")).toBe("x/a/b");
    expect(match("/v1/{p=x/**}", "/v1/y/a")).toBeUndefined();
  });

  it("rejects empty and different segments, and compares literals decoded", () => {
    expect(match("/v1/{a}", "/v1/")).toBeUndefined();
    expect(match("/v1/{a}", "/v1/a/b")).toBeUndefined();
    expect(match("/v1/items", "/v1/item%73")).toEqual(new Map());
    expect(match("/v1/items", "/v1/other")).toBeUndefined();
    expect(match("/v1/items", "/v1/%zz")).toBeUndefined();
    expect(splitRequestPath("v1")).toBeUndefined();
  });

  it("throws PathValueError for malformed encoding in a value", () => {
    expect(() => match("/v1/{a}", "/v1/%E0%A4%A")).toThrow(PathValueError);
    expect(() => match("/v1/{a=**}", "/v1/x/%zz")).toThrow(PathValueError);
  });
});

describe("compareTemplates", () => {
  it("puts literals before variables, verbs before none, longer first", () => {
    const sorted = ["/v1/{id}", "/v1/me", "/v1/**", "/v1/{id}:go", "/v1/{id}/x"]
      .map(parsePathTemplate)
      .sort(compareTemplates)
      .map((t) => t.source);
    expect(sorted).toEqual(["/v1/me", "/v1/{id}/x", "/v1/{id}:go", "/v1/{id}", "/v1/**"]);
  });
});
