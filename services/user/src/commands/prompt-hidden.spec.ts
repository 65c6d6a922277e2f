import { EventEmitter } from "node:events";
import { promptHidden, type TerminalInput } from "./prompt-hidden";

/** A terminal's input side: raw mode switches and typed chunks. */
class FakeTerminal extends EventEmitter implements TerminalInput {
  readonly isTTY = true;
  raw: boolean[] = [];
  setRawMode(mode: boolean) {
    this.raw.push(mode);
  }
  setEncoding() {}
  resume() {}
  pause() {}
  type(text: string) {
    this.emit("data", text);
  }
}

describe("promptHidden", () => {
  it("reads a line in raw mode without echoing it, with backspace", async () => {
    const input = new FakeTerminal();
    let shown = "";
    const answer = promptHidden("Password: ", {
      input,
      output: { write: (t: string) => (shown += t) },
    });
    input.type("hunter2");
    input.type("\u007f\u007fer3\r");
    await expect(answer).resolves.toBe("hunteer3");
    expect(shown).toBe("Password: \n");
    expect(input.raw).toEqual([true, false]);
    expect(input.listenerCount("data")).toBe(0);
  });

  it("is cancelled by Ctrl-C", async () => {
    const input = new FakeTerminal();
    const answer = promptHidden("Password: ", { input, output: { write: () => true } });
    input.type("abc\u0003");
    await expect(answer).rejects.toThrow("cancelled");
    expect(input.raw).toEqual([true, false]);
  });

  it("refuses to prompt without a terminal", async () => {
    const input = Object.assign(new FakeTerminal(), { isTTY: false });
    await expect(
      promptHidden("Password: ", { input, output: { write: () => true } }),
    ).rejects.toThrow(/set ADMIN_PASSWORD/);
  });
});
