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
 * set, in field order. The JSON codec drops unknown fields: only for a binary answer
 * (`answersBinary`).
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

// The content types Connect, gRPC and gRPC-Web answer with when they encode with the protobuf codec.
const binaryAnswer = /^application\/(proto|grpc\+proto|grpc-web\+proto)$/i;

/**
 * Whether the answer will be encoded with the binary codec. Read from the content type Connect
 * has already set on the response from the codec it chose, not from the request's: a Connect GET
 * picks its codec from `?encoding=` whatever content-type header it carries.
 */
export function answersBinary(context: Pick<HandlerContext, 'responseHeader'>): boolean {
  return binaryAnswer.test(context.responseHeader.get('content-type') ?? '');
}
