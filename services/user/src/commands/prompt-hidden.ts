/**
 * Reads one line from the terminal without echoing it (a password), in raw mode:
 * Enter ends it, Backspace deletes, Ctrl-C or Ctrl-D cancels.
 */

/** The part of a TTY read stream used here (process.stdin when it is a terminal). */
export interface TerminalInput {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: "data", listener: (chunk: string) => void): unknown;
  off(event: "data", listener: (chunk: string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export async function promptHidden(
  prompt: string,
  terminal: { input: TerminalInput; output: { write(text: string): unknown } } = {
    input: process.stdin,
    output: process.stderr,
  },
): Promise<string> {
  const { input, output } = terminal;
  if (!input.isTTY || !input.setRawMode) {
    throw new Error("no terminal to ask for the password: set ADMIN_PASSWORD instead");
  }
  output.write(prompt);
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();
  let value = "";
  return new Promise<string>((resolve, reject) => {
    const finish = () => {
      input.off("data", onData);
      input.setRawMode?.(false);
      input.pause();
      output.write("\n");
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === "\r" || character === "\n") {
          finish();
          resolve(value);
          return;
        }
        if (character === "\u0003" || character === "\u0004") {
          finish();
          reject(new Error("cancelled"));
          return;
        }
        if (character === "\u007f" || character === "\b") {
          value = [...value].slice(0, -1).join("");
        } else {
          value += character;
        }
      }
    };
    input.on("data", onData);
  });
}
