import { create } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { HandlerContext } from '@connectrpc/connect';
import { type ListResponse, ListResponseSchema } from '@mosaic/contracts/v1/federation_pb';

const itemsField = ListResponseSchema.field.items!.number;
const tokenField = ListResponseSchema.field.nextPageToken!.number;

/**
 * A ListResponse whose items are already encoded (data/item-wire.ts), carried as the message's
 * unknown fields: protobuf-es writes those verbatim after the known fields (here all empty), so
 * the bytes on the wire are exactly those of the same message with `items` and `next_page_token`
 * set, in field order. The JSON codec drops unknown fields: only for a binary request
 * (`carriesBinary`).
 */
export function encodedListResponse(items: readonly Uint8Array[], nextPageToken: string): ListResponse {
  const message = create(ListResponseSchema);
  const unknown = items.map((data) => ({ no: itemsField, wireType: WireType.LengthDelimited, data }));
  if (nextPageToken !== '') {
    unknown.push({
      no: tokenField,
      wireType: WireType.LengthDelimited,
      data: new BinaryWriter().string(nextPageToken).finish(),
    });
  }
  message.$unknown = unknown;
  return message;
}

// Connect, gRPC and gRPC-Web with the protobuf codec; JSON, GET requests (no body, no
// content-type) and anything unrecognised take the reflective path.
const binaryContentType = /^application\/(proto|grpc|grpc\+proto|grpc-web|grpc-web\+proto)(;|$)/i;

/** Whether the response will be encoded with the binary codec (the request's own content type). */
export function carriesBinary(context: HandlerContext): boolean {
  return binaryContentType.test(context.requestHeader.get('content-type') ?? '');
}
