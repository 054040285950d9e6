import { RvError } from "../../errors.ts";
import { type TaskSpec, TaskSpecSchema } from "../../ops/index.ts";

const LEADING_FIELD = /^(gpus|cpus|name)=(\S+)(?:\s+|$)/;

/**
 * The line typed after `a`: a shell command, after optional `gpus=N`, `cpus=N` and `name=X` words
 * (`gpus=1 name=lr3 python train.py --lr 3e-4`). The command is kept as typed, and runs as `rv submit --shell`
 * runs it.
 */
export function parseAddLine(line: string): TaskSpec {
  const fields: Record<string, string> = {};
  let rest = line.trim();
  for (let word = LEADING_FIELD.exec(rest); word; word = LEADING_FIELD.exec(rest)) {
    fields[word[1] as string] = word[2] as string;
    rest = rest.slice(word[0].length);
  }
  const spec = TaskSpecSchema.safeParse({
    shell: rest || undefined,
    ...(fields.gpus !== undefined && { gpus: Number(fields.gpus) }),
    ...(fields.cpus !== undefined && { cpus: Number(fields.cpus) }),
    ...(fields.name !== undefined && { name: fields.name }),
  });
  if (!spec.success) {
    const issue = spec.error.issues[0];
    throw new RvError("usage", `add: ${issue?.path.join(".") || "command"}: ${issue?.message}`, {
      hint: "type a command, after gpus=N, cpus=N or name=X if needed: gpus=1 python train.py",
    });
  }
  return spec.data;
}
