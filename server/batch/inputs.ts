/** One input of a batch: the values its placeholders take, and the line of the JSON Lines file it came from. */
export interface BatchInput {
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

export interface ReadInputs {
  readonly inputs: readonly BatchInput[];
  /** Lines that could not be used (skipped under --on-broken skip), with why. */
  readonly skipped: readonly { readonly line: number; readonly reason: string }[];
}

export class InputsError extends Error {
  override readonly name = 'InputsError';
}

/**
 * Reads a JSON Lines file of inputs, one object per line, for a template with these placeholders.
 * Values are strings (numbers and booleans are written as text); blank lines are ignored. A line that
 * is not a JSON object, or lacks a placeholder's key, is broken: `skip` reports its line number and
 * goes on, `stop` ends with it.
 */
export function readInputs(text: string, placeholders: readonly string[], onBroken: 'skip' | 'stop'): ReadInputs {
  const inputs: BatchInput[] = [];
  const skipped: { line: number; reason: string }[] = [];
  text.split(/\r?\n/u).forEach((raw, position) => {
    const line = position + 1;
    if (raw.trim() === '') return;
    const reason = problem(raw, placeholders);
    if (typeof reason === 'string') {
      if (onBroken === 'stop') throw new InputsError(`Inputs line ${line}: ${reason} (--on-broken skip goes on without it).`);
      skipped.push({ line, reason });
      return;
    }
    inputs.push({ line, values: reason });
  });
  if (inputs.length === 0)
    throw new InputsError(
      skipped.length > 0
        ? `No usable input: every line is broken (line ${skipped[0]?.line}: ${skipped[0]?.reason}).`
        : 'The inputs file has no lines.',
    );
  return { inputs, skipped };
}

/** Why a line cannot be used, or its values. */
function problem(raw: string, placeholders: readonly string[]): string | Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
  const record = parsed as Record<string, unknown>;
  const missing = placeholders.filter((name) => !(name in record));
  if (missing.length > 0) {
    const keys = Object.keys(record);
    return `no ${missing.map((name) => `"${name}"`).join(', ')} for the template's {{${missing[0]}}} (this line has ${keys.length > 0 ? keys.map((key) => `"${key}"`).join(', ') : 'no keys'})`;
  }
  const values: Record<string, string> = {};
  for (const name of placeholders) {
    const value = record[name];
    if (typeof value === 'string') values[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') values[name] = String(value);
    else return `"${name}" is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}, not text`;
  }
  return values;
}
