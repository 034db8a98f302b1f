/**
 * The layout of an Arrow IPC file or stream from metadata only (bodies are skipped by length):
 *
 *   stream: (0xFFFFFFFF len header body)* 0xFFFFFFFF 0       schema first, then dictionaries and batches
 *   file:   ARROW1\0\0 (messages)* footer len ARROW1          the footer holds the schema and each block
 */
import type { FileHandle } from 'node:fs/promises';
import { Message, MessageHeader, type Schema } from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { InputFileError } from '../errors.ts';

export interface IpcMessage {
  readonly kind: 'schema' | 'dictionary' | 'batch';
  /** Where the message starts (its length prefix) and its whole size, prefix and body included. */
  readonly offset: number;
  readonly size: number;
  readonly bodyLength: number;
  /** A record batch's rows. */
  readonly rows: number;
  readonly message: Message;
}

const FILE_MAGIC = 'ARROW1';

export interface IpcLayout {
  readonly format: 'file' | 'stream';
  readonly schema: Schema;
  /** Record batches in order: their header's rows and the bytes they take. */
  readonly batches: readonly { readonly offset: number; readonly size: number; readonly rows: number }[];
  /** A stream's messages, schema first (a file's are found through its footer). */
  readonly messages?: readonly IpcMessage[];
}

/** The schema and record batches of an IPC file (from its footer) or stream (from its message headers). */
export async function ipcLayout(path: string, f: FileHandle, size: number): Promise<IpcLayout> {
  const head = Buffer.alloc(8);
  await f.read(head, 0, Math.min(8, size), 0);
  if (head.toString('latin1', 0, 6) !== FILE_MAGIC) {
    const messages = await readMessages(path, f, size);
    return { format: 'stream', schema: messages[0]!.message.header() as Schema, batches: messages.filter((m) => m.kind === 'batch'), messages };
  }
  const tail = Buffer.alloc(10);
  if (size < 18) throw new InputFileError(path, `is truncated: ${size} bytes, too short for an Arrow IPC file`);
  await f.read(tail, 0, 10, size - 10);
  const footerLength = tail.readInt32LE(0);
  if (tail.toString('latin1', 4, 10) !== FILE_MAGIC || footerLength <= 0 || footerLength > size - 18) {
    throw new InputFileError(path, 'is truncated: it does not end with an Arrow IPC footer');
  }
  const bytes = Buffer.alloc(footerLength);
  await f.read(bytes, 0, footerLength, size - 10 - footerLength);
  let footer: Footer;
  try {
    footer = Footer.decode(bytes);
  } catch (e) {
    throw new InputFileError(path, `has an unreadable footer: ${(e as Error).message}`);
  }
  const batches = [];
  for (const block of footer.recordBatches()) {
    const offset = Number(block.offset), size_ = block.metaDataLength + Number(block.bodyLength);
    if (offset + size_ > size) throw new InputFileError(path, `is truncated: record batch ${batches.length} ends past the end of the file`);
    const meta = Buffer.alloc(block.metaDataLength);
    await f.read(meta, 0, block.metaDataLength, offset);
    const skip = meta.readInt32LE(0) === -1 ? 8 : 4;
    const message = Message.decode(meta.subarray(skip, skip + meta.readInt32LE(skip - 4)));
    batches.push({ offset, size: size_, rows: Number((message.header() as { length: number | bigint }).length) });
  }
  return { format: 'file', schema: footer.schema, batches };
}

/** Every message of an IPC stream, by its header. */
export async function readMessages(path: string, f: FileHandle, size: number): Promise<IpcMessage[]> {
  let at = 0;
  const out: IpcMessage[] = [];
  const prefix = Buffer.alloc(8);
  while (at + 4 <= size) {
    const n = (await f.read(prefix, 0, Math.min(8, size - at), at)).bytesRead;
    let len = prefix.readInt32LE(0), skip = 4;
    if (len === -1) {
      if (n < 8) throw new InputFileError(path, `is truncated: a message at byte ${at} is cut short`);
      len = prefix.readInt32LE(4);
      skip = 8;
    }
    if (len === 0) break; // end of stream (the file format's footer follows)
    if (len < 0 || at + skip + len > size) {
      if (out.length === 0) throw new InputFileError(path, 'is not an Arrow IPC file or stream');
      throw new InputFileError(path, `is truncated: a message at byte ${at} claims ${len} header bytes, ${size - at - skip} are left`);
    }
    const bytes = Buffer.alloc(len);
    await f.read(bytes, 0, len, at + skip);
    let message: Message;
    try {
      message = Message.decode(bytes);
    } catch (e) {
      throw new InputFileError(path, out.length === 0 ? 'is not an Arrow IPC file or stream' : `has an unreadable message header at byte ${at}: ${(e as Error).message}`);
    }
    const sizeOf = skip + len + message.bodyLength;
    if (at + sizeOf > size) throw new InputFileError(path, `is truncated: the body of the message at byte ${at} needs ${message.bodyLength} bytes, ${size - at - skip - len} are left`);
    const kind = message.headerType === MessageHeader.Schema ? 'schema' : message.headerType === MessageHeader.DictionaryBatch ? 'dictionary' : message.headerType === MessageHeader.RecordBatch ? 'batch' : null;
    if (kind === null) throw new InputFileError(path, `has a message of unknown type at byte ${at}`);
    if ((kind === 'schema') !== (out.length === 0)) throw new InputFileError(path, out.length === 0 ? 'is not an Arrow IPC file or stream: it does not start with a schema' : `has a second schema at byte ${at}`);
    out.push({ kind, offset: at, size: sizeOf, bodyLength: message.bodyLength, rows: kind === 'batch' ? Number((message.header() as { length: number | bigint }).length) : 0, message });
    at += sizeOf;
  }
  if (out.length === 0) throw new InputFileError(path, 'is not an Arrow IPC file or stream: it holds no schema');
  return out;
}
