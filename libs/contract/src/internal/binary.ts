import {
  create,
  fromBinary,
  isMessage,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape
} from "@bufbuild/protobuf"

/** A Buffer view of the bytes, without copying (grpc-js wants Buffers). */
export const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** Encodes a message, or first completes an init shape into one. */
export const serializer =
  (schema: DescMessage) =>
  (value: MessageInitShape<DescMessage>): Buffer =>
    toBuffer(toBinary(schema, isMessage(value, schema) ? value : create(schema, value)))

export const deserializer =
  (schema: DescMessage) =>
  (bytes: Buffer): MessageShape<DescMessage> =>
    fromBinary(schema, bytes)
