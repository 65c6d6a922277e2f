/**
 * Conformance of REST-to-gRPC transcoding with grpc-gateway v2's behaviour, against a
 * real backend (libs' gRPC server) serving the test-only contract: path templates,
 * bodies, query parameters, proto3 JSON both ways and response_body.
 */
import { startConformanceStack } from "../support/test-gateway";

type Stack = Awaited<ReturnType<typeof startConformanceStack>>;

describe("REST transcoding", () => {
  let stack: Stack;
  const call: Stack["gateway"]["call"] = (...args) => stack.gateway.call(...args);
  /** What the backend received, from Echo. */
  const echoed = async (path: string, init?: Parameters<typeof call>[2], method = "GET") => {
    const answer = await call(method, path, init);
    expect(answer.status).toBe(200);
    return answer.json.request as Record<string, unknown>;
  };

  beforeAll(async () => {
    stack = await startConformanceStack();
  });
  afterAll(() => stack.stop());

  describe("query parameters", () => {
    it("bind every scalar type, enums by name or number, repeated and nested fields", async () => {
      const query = [
        "int32Value=-5",
        "int64_value=-9007199254740993",
        "uint32Value=4294967295",
        "uint64Value=18446744073709551615",
        "sint32Value=-3",
        "fixed64Value=7",
        "sfixed32Value=-8",
        "floatValue=1.5",
        "doubleValue=-2.25e3",
        "boolValue=true",
        "bytesValue=AQID_w",
        "color=COLOR_GREEN",
        "colors=1",
        "colors=COLOR_BLUE",
        "tags=a",
        "tags=b%20c",
        "numbers=3",
        "numbers=4",
        "nested.name=n",
        "nested.inner.deep=d",
        "nested.inner.color=3",
        "nested.labels=x",
        "optionalString=",
        "choice_text=picked",
      ].join("&");
      const request = await echoed(`/v1/echo/abc?${query}`);
      expect(request).toMatchObject({
        id: "abc",
        int32Value: -5,
        int64Value: "-9007199254740993",
        uint32Value: 4294967295,
        uint64Value: "18446744073709551615",
        sint32Value: -3,
        fixed64Value: "7",
        sfixed32Value: -8,
        floatValue: 1.5,
        doubleValue: -2250,
        boolValue: true,
        bytesValue: "AQID/w==",
        color: "COLOR_GREEN",
        colors: ["COLOR_RED", "COLOR_BLUE"],
        tags: ["a", "b c"],
        numbers: [3, 4],
        nested: { name: "n", inner: { deep: "d", color: "COLOR_BLUE" }, labels: ["x"] },
        optionalString: "",
        choiceText: "picked",
      });
    });

    it("bind well-known types: Timestamp, Duration, FieldMask and wrappers", async () => {
      const query = [
        "timestamp=2024-02-29T23:59:58.25%2B01:00",
        "timestamps=1970-01-01T00:00:00Z",
        "timestamps=2000-01-01T00:00:00.000000001Z",
        "duration=-1.5s",
        "fieldMask=title,author.display_name,publishTime",
        "stringWrapper=",
        "int32Wrapper=-7",
        "boolWrapper=false",
        "int64Wrapper=9007199254740993",
        "doubleWrapper=NaN",
      ].join("&");
      const request = await echoed(`/v1/echo/wkt?${query}`);
      expect(request).toMatchObject({
        timestamp: "2024-02-29T22:59:58.250Z",
        timestamps: ["1970-01-01T00:00:00Z", "2000-01-01T00:00:00.000000001Z"],
        duration: "-1.500s",
        fieldMask: "title,author.displayName,publishTime",
        // Set wrappers are emitted even at their zero value: presence is the point.
        stringWrapper: "",
        int32Wrapper: -7,
        boolWrapper: false,
        int64Wrapper: "9007199254740993",
        doubleWrapper: "NaN",
      });
    });

    it("emit zero values, and leave unset messages and wrappers out", async () => {
      const request = await echoed("/v1/echo/zero");
      expect(request).toMatchObject({
        int32Value: 0,
        int64Value: "0",
        boolValue: false,
        bytesValue: "",
        color: "COLOR_UNSPECIFIED",
        tags: [],
        labels: {},
        zeroDefault: 0,
      });
      for (const key of ["nested", "timestamp", "stringWrapper", "optionalString", "choiceText"]) {
        expect(request).not.toHaveProperty(key);
      }
    });

    it("ignore unknown parameters, nested unknown ones included", async () => {
      const request = await echoed("/v1/echo/x?nope=1&nested.nope=2&int32Value=4&a.b.c=d");
      expect(request.int32Value).toBe(4);
    });

    it.each([
      ["int32Value=1&int32Value=2", "int32Value", /given 2 times/],
      ["color=COLOR_PURPLE", "color", /not a value of conformance.v1.Color/],
      ["color=9", "color", /not a value of conformance.v1.Color/],
      ["colors=COLOR_RED&colors=nope", "colors", /not a value/],
      ["int32Value=2147483648", "int32Value", /out of range/],
      ["uint32Value=-1", "uint32Value", /not an unsigned/],
      ["int64Value=9223372036854775808", "int64Value", /out of range/],
      ["int32Value=1.5", "int32Value", /not a 32-bit integer/],
      ["floatValue=1e39", "floatValue", /out of range for a float/],
      ["doubleValue=abc", "doubleValue", /not a number/],
      ["boolValue=maybe", "boolValue", /not a boolean/],
      ["bytesValue=%21%21", "bytesValue", /not base64/],
      ["timestamp=yesterday", "timestamp", /RFC 3339/],
      ["timestamp=2024-13-01T00:00:00Z", "timestamp", /RFC 3339/],
      ["duration=5", "duration", /duration/],
      ["fieldMask=a,b%20c", "fieldMask", /field path/],
      ["int32Wrapper=x", "int32Wrapper", /not a 32-bit integer/],
      ["choiceText=a&choiceNumber=1", "choiceNumber", /oneof/],
      ["tags.x=1", "tags.x", /not a message/],
      ["labels=x", "labels", /map field/],
      ["nested=x", "nested", /cannot be given as text/],
    ])("reject %s with 400 naming the parameter", async (query, parameter, description) => {
      const answer = await call("GET", `/v1/echo/x?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: 3, message: expect.stringContaining(parameter) });
      expect(answer.json.details).toEqual([
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [
            { field: parameter, description: expect.stringMatching(description), reason: "" },
          ],
        },
      ]);
    });
  });

  describe("bodies", () => {
    it('body "*": both field names, int64 as number or string, unknown fields ignored', async () => {
      const request = await echoed(
        "/v1/echo/from-path",
        {
          body: {
            id: "from-body",
            int32_value: 7,
            int64Value: 12,
            uint64_value: "18446744073709551615",
            color: 2,
            colors: ["COLOR_RED", 3],
            nested: { name: "n", inner: { deep: "d" } },
            labels: { k: "v" },
            unknownField: { deep: true },
            timestamp: "2020-01-01T00:00:00Z",
            stringWrapper: "w",
            nestedList: [{ name: "a" }, { name: "b" }],
          },
        },
        "POST",
      );
      expect(request).toMatchObject({
        // The path wins over the body.
        id: "from-path",
        int32Value: 7,
        int64Value: "12",
        uint64Value: "18446744073709551615",
        color: "COLOR_GREEN",
        colors: ["COLOR_RED", "COLOR_BLUE"],
        nested: { name: "n", inner: { deep: "d" } },
        labels: { k: "v" },
        timestamp: "2020-01-01T00:00:00Z",
        stringWrapper: "w",
        nestedList: [{ name: "a" }, { name: "b" }],
      });
    });

    it('body "*" leaves nothing to the query, and an empty body is an empty message', async () => {
      const request = await echoed("/v1/echo/q?int32Value=9", { body: "" }, "POST");
      expect(request).toMatchObject({ id: "q", int32Value: 0 });
    });

    it("a body field takes the body; the query fills the other fields, not that one", async () => {
      const request = await echoed(
        "/v1/echo/n1/note?int32Value=3&note.text=ignored&nested.name=q",
        { body: { text: "hello", stars: 5 } },
        "PUT",
      );
      expect(request).toMatchObject({
        id: "n1",
        int32Value: 3,
        note: { text: "hello", stars: 5 },
        nested: { name: "q" },
      });
    });

    it("nested path fields win over the body field they are part of", async () => {
      const answer = await call(
        "PATCH",
        "/v1/shelves/fiction/books/b1?update_mask=title,author&allowMissing=true",
        {
          body: {
            title: "T",
            id: "ignored",
            shelf: "ignored",
            pages: "12",
            publishTime: "2001-02-03T04:05:06Z",
          },
        },
      );
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        shelf: "fiction",
        id: "b1",
        title: "T",
        author: "mask=title,author;allow_missing=true",
        pages: "12",
        publishTime: "2001-02-03T04:05:06Z",
      });
    });

    it.each([
      ["{not json", /malformed JSON/, "body"],
      ["[1,2]", /cannot decode/, "body"],
      [JSON.stringify({ int32Value: "abc" }), /int32_value/, "int32_value"],
      [JSON.stringify({ color: "COLOR_NOPE", int32Value: 1.5 }), /int32_value/, "int32_value"],
      [JSON.stringify({ timestamp: "soon" }), /Timestamp/, "body"],
    ])("reject the body %s with 400", async (body, message, field) => {
      const answer = await call("POST", "/v1/echo/x", { body });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: 3, message: expect.stringMatching(message) });
      expect(answer.json.details[0]).toMatchObject({
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        fieldViolations: [{ field }],
      });
    });
  });

  describe("paths", () => {
    it("decode a single-segment variable fully, %2F included", async () => {
      expect((await echoed("/v1/echo/a%2Fb%20c%C3%A9")).id).toBe("a/b cé");
    });

    it("keep %2F encoded in a multi-segment variable bound to a nested field", async () => {
      const request = await echoed("/v1/echo/shelves/s%201/books/b%2F2");
      expect(request.nested).toMatchObject({ name: "shelves/s 1/books/b%2F2" });
      expect(request.id).toBe("");
    });

    it("match ** over any number of segments, also before a custom verb", async () => {
      expect((await call("GET", "/v1/files/a/b/c.txt")).json).toEqual({
        path: "a/b/c.txt",
        tree: "",
      });
      expect((await call("GET", "/v1/files")).json).toEqual({ path: "", tree: "" });
      expect((await call("GET", "/v1/files/x%2Fy/z")).json).toEqual({ path: "x%2Fy/z", tree: "" });
      expect((await call("GET", "/v1/trees/main/src/app.ts:blob")).json).toEqual({
        path: "src/app.ts",
        tree: "main",
      });
    });

    it("route a custom verb to its binding, and treat an unknown one as part of the value", async () => {
      const shout = await call("POST", "/v1/echo/abc:shout", { body: { int32Value: 1 } });
      expect(shout.json.request).toMatchObject({ id: "abc", int32Value: 1 });
      expect((await echoed("/v1/echo/abc:whisper")).id).toBe("abc:whisper");
      const cancel = await call("POST", "/v1/operations/op-1:cancel", { body: { reason: "r" } });
      expect(cancel.json).toEqual({ name: "op-1", cancelled: true, reason: "r" });
    });

    it("answer 400 for malformed percent-encoding in a variable", async () => {
      const answer = await call("GET", "/v1/echo/%zz");
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: 3, message: expect.stringContaining("id") });
    });
  });

  describe("responses", () => {
    it("response_body picks one field: a message, or a scalar as bare JSON", async () => {
      const book = await call("GET", "/v1/books/b1");
      expect(book.json).toEqual({
        shelf: "s1",
        id: "b1",
        title: "Title of b1",
        author: "",
        pages: "9007199254740993",
      });
      const title = await call("GET", "/v1/books/b1/title");
      expect(title.text).toBe('"Title of b1"');
      expect(title.headers["content-type"]).toBe("application/json");
      // An unset message field renders as the empty message.
      expect((await call("GET", "/v1/books/missing")).json).toEqual({});
    });

    it("name enums and emit int64 as strings in lowerCamelCase", async () => {
      const answer = await call("GET", "/v1/echo/e?color=1&int64Value=1");
      expect(answer.text).toContain('"color":"COLOR_RED"');
      expect(answer.text).toContain('"int64Value":"1"');
      expect(answer.text).toContain('"deadlineMs":');
    });
  });
});
