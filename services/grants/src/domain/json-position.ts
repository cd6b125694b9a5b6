/** Where JSON.parse gave up on a text, as a person finds it in an editor. */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  /** What is wrong at that place, without quoting the text. */
  description: string;
}

/**
 * Locates a JSON syntax error. V8 names the position for most errors ("... in JSON at position 8")
 * but not for an unexpected token, and its message quotes the input; so the description is taken
 * from V8 when it has a position and otherwise the position comes from a strict scan of the grammar.
 */
export function locateJsonSyntaxError(text: string, error: unknown): JsonSyntaxProblem {
  const message = error instanceof Error ? error.message : '';
  const positioned = /^(.*?) in JSON at position (\d+)/.exec(message);
  if (positioned) return at(text, Number(positioned[2]), lowerFirst(positioned[1]!));
  const offset = scanForError(text);
  if (offset < 0) return at(text, 0, 'not valid JSON');
  if (offset >= text.length) {
    return at(
      text,
      text.length,
      text.trim() === '' ? 'the text is empty' : 'the text ends before the JSON is complete',
    );
  }
  return at(text, offset, `unexpected ${JSON.stringify(tokenAt(text, offset))}`);
}

/** The word starting at `offset` (up to the next delimiter, at most 20 characters), or its one character. */
function tokenAt(text: string, offset: number): string {
  const word = /[^\s{}[\],:"]{1,20}/y;
  word.lastIndex = offset;
  return word.exec(text)?.[0] ?? text.charAt(offset);
}

function at(text: string, offset: number, description: string): JsonSyntaxProblem {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column, description };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

class SyntaxStop {
  constructor(readonly offset: number) {}
}

/** The offset of the first character that breaks the JSON grammar (RFC 8259); text.length if it ends early. */
export function scanForError(text: string): number {
  let i = 0;
  const stop = (): never => {
    throw new SyntaxStop(i);
  };
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    if (!text.startsWith(word, i)) stop();
    i += word.length;
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) stop();
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return;
      }
      if (code < 0x20) stop();
      if (code !== 0x5c) {
        i++;
        continue;
      }
      i++;
      if (text[i] === 'u') {
        i++;
        for (let k = 0; k < 4; k++) {
          if (!/[0-9a-fA-F]/.test(text[i] ?? '')) stop();
          i++;
        }
      } else if ('"\\/bfnrt'.includes(text[i] ?? '_')) {
        i++;
      } else {
        stop();
      }
    }
  };
  const number = () => {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = i;
    const found = match.exec(text);
    if (!found || found[0] === '-') stop();
    i += found![0].length;
  };
  const members = (close: string, member: () => void) => {
    i++;
    skipSpace();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      skipSpace();
      if (text[i] === close) {
        i++;
        return;
      }
      if (text[i] !== ',') stop();
      i++;
    }
  };
  const value = (): void => {
    skipSpace();
    const char = text[i];
    if (char === '{') {
      members('}', () => {
        skipSpace();
        if (text[i] !== '"') stop();
        string();
        skipSpace();
        if (text[i] !== ':') stop();
        i++;
        value();
      });
    } else if (char === '[') {
      members(']', value);
    } else if (char === '"') {
      string();
    } else if (char === 't') {
      literal('true');
    } else if (char === 'f') {
      literal('false');
    } else if (char === 'n') {
      literal('null');
    } else if (char !== undefined && /[-0-9]/.test(char)) {
      number();
    } else {
      stop();
    }
  };
  try {
    value();
    skipSpace();
    if (i < text.length) stop();
    return -1;
  } catch (error) {
    if (error instanceof SyntaxStop) return error.offset;
    throw error;
  }
}
