/**
 * The schema of a fromArrow input, checked: column names unique, and every record batch with the
 * columns of the first, in order and of the same types. Kernels bind each batch's columns by the
 * first batch's types, so a batch that differs would be read wrongly; it is an error instead.
 */
import type * as arrow from 'apache-arrow';
import { InputFileError, InvalidOptionError, UnsupportedTypeError } from '../errors.ts';
import type { Field, Schema } from '../expr/resolve.ts';
import { fromArrowType, sameType, typeName } from '../types.ts';

/** Our schema of an Arrow schema; unsupported types are reported only when a query reads them. */
export function schemaOf(arrowSchema: arrow.Schema): Schema {
  return arrowSchema.fields.map((f) => {
    try {
      return { name: f.name, dtype: fromArrowType(f.name, f.type) };
    } catch (e) {
      // The placeholder type is never read: checkSupported rejects the column first.
      if (e instanceof UnsupportedTypeError) return { name: f.name, dtype: { id: 'int32' }, unsupported: String(f.type) };
      throw e;
    }
  });
}

const describe = (f: Field): string => f.unsupported ?? typeName(f.dtype);
const namesOf = (s: Schema): string => s.map((f) => f.name).join(', ');

export function inputSchema(arrowSchema: arrow.Schema, batches: readonly arrow.RecordBatch[]): Schema {
  const schema = schemaOf(arrowSchema);
  const seen = new Set<string>();
  for (const f of schema) {
    if (seen.has(f.name)) throw new InvalidOptionError(`fromArrow: the input has two columns named '${f.name}'; column names must be unique`);
    seen.add(f.name);
  }
  const names = namesOf(schema);
  batches.forEach((b, i) => {
    if (b.schema === arrowSchema) return;
    const own = schemaOf(b.schema);
    if (namesOf(own) !== names) {
      throw new InvalidOptionError(`fromArrow: record batch ${i} has the columns (${namesOf(own)}), the input (${names})`);
    }
    own.forEach((f, j) => {
      const want = schema[j];
      if (!sameType(f.dtype, want.dtype) || f.unsupported !== want.unsupported) {
        throw new InvalidOptionError(`fromArrow: column '${f.name}' is ${describe(f)} in record batch ${i}, ${describe(want)} in the input`);
      }
    });
  });
  return schema;
}

/**
 * The schema of files read as one input: every file's must equal the first's, column for column;
 * the first file that differs is named with how (a column missing, added, moved or of another type).
 */
export function fileSchema(paths: readonly string[], schemas: readonly arrow.Schema[]): Schema {
  const first = schemaOf(schemas[0]!);
  const seen = new Set<string>();
  for (const f of first) {
    if (seen.has(f.name)) throw new InputFileError(paths[0]!, `has two columns named '${f.name}'; column names must be unique`);
    seen.add(f.name);
  }
  schemas.forEach((s, i) => {
    if (i === 0) return;
    const own = schemaOf(s);
    const differs = (how: string) => new InputFileError(paths[i]!, `has a schema that differs from '${paths[0]}': ${how}`);
    for (const f of first) if (!own.some((g) => g.name === f.name)) throw differs(`it has no column '${f.name}'`);
    for (const g of own) if (!first.some((f) => f.name === g.name)) throw differs(`it has a column '${g.name}' the first file lacks`);
    own.forEach((g, j) => {
      const f = first[j]!;
      if (g.name !== f.name) throw differs(`column ${j + 1} is '${g.name}', '${f.name}' in the first file`);
      if (!sameType(g.dtype, f.dtype) || g.unsupported !== f.unsupported) throw differs(`column '${g.name}' is ${describe(g)}, ${describe(f)} in the first file`);
    });
  });
  return first;
}
