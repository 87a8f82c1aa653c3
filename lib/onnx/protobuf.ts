/**
 * A minimal protobuf wire-format reader and writer: varints (unsigned, signed 64-bit two's
 * complement, zigzag), 64-bit and 32-bit fixed values, length-delimited fields and packed
 * repeated scalars. No schema, no code generation.
 *
 * - {@link ProtoWriter} encodes.
 * - {@link ProtoReader} streams a message from a {@link ByteSource} (a file read by position
 *   through a small window, or memory): a length-delimited field can be skipped without reading
 *   it, so inspecting a 1.2 GB ONNX file with inline weights reads only its graph structure.
 * - {@link ProtoCursor} decodes loaded bytes synchronously (what parsers of small messages use).
 * @module
 */
export { decodeVarint, encodeVarint, MAX_VARINT_BYTES, zigzagDecode, zigzagEncode, type DecodedVarint } from './protobuf-varint';
export { ProtoWriter } from './protobuf-writer';
export { ProtoCursor, type FieldTag } from './protobuf-cursor';
export { ProtoReader } from './protobuf-reader';
export { FileSource, MemorySource, type ByteSource } from './byte-source';
