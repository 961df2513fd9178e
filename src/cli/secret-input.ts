import { UsageError } from './exit-codes';

/** Flags that would put a secret in shell history and the process list. */
const SECRET_FLAGS = /^--?(password|new-password|pass|secret|client-secret)(=|$)/i;

export function refuseSecretsInArguments(argv: readonly string[]): void {
  const flag = argv.find((argument) => SECRET_FLAGS.test(argument));
  if (flag) {
    throw new UsageError(
      `${flag.split('=')[0]} is not accepted: a password on the command line ends up in shell ` +
        'history and the process list. Pipe it on stdin, or type it at the prompt.',
    );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Typed without echo; Ctrl-C cancels. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (outcome: () => void) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      outcome();
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          finish(() => resolve(typed));
          return;
        }
        if (char === '\u0003' || char === '\u0004') {
          finish(() => reject(new UsageError('Cancelled')));
          return;
        }
        typed = char === '\u007f' || char === '\b' ? typed.slice(0, -1) : typed + char;
      }
    };
    input.on('data', onData);
  });
}

/**
 * A secret from a prompt on a terminal (asked twice), else the first line of stdin: never from
 * the command line.
 */
export async function readSecret(what: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const [line] = (await readStdin()).split(/\r?\n/);
    if (!line) {
      throw new UsageError(`No ${what} on stdin: pipe it in, or run on a terminal to be asked`);
    }
    return line;
  }
  const secret = await promptHidden(`${what}: `);
  if (secret !== (await promptHidden(`${what} again: `))) {
    throw new UsageError(`The two ${what}s differ`);
  }
  return secret;
}
