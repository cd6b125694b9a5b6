import { create } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { HandlerContext } from '@connectrpc/connect';
import { type ListResponse, ListResponseSchema } from '@mosaic/contracts/v1/federation_pb';

/** ListResponse.items, as `encodeItemsField` writes it for a page. */
export const listItemsField = ListResponseSchema.field.items!.number;
const itemsTag = new BinaryWriter().tag(listItemsField, WireType.LengthDelimited).finish();
const tokenField = ListResponseSchema.field.nextPageToken!.number;

/**
 * A ListResponse whose items are already encoded (`encodeItemsField(listItemsField, …)`: each
 * item's tag, length and message, back to back), carried as the message's unknown fields:
 * protobuf-es writes each unknown entry as its tag followed by its data verbatim, after the known
 * fields (here all empty), so the bytes on the wire are exactly those of the same message with
 * `items` and `next_page_token` set, in field order. The whole run of items is one entry: its tag
 * is the first item's, its data everything after that tag. The JSON codec drops unknown fields:
 * only for a binary answer (`answersBinary`).
 */
export function encodedListResponse(items: Uint8Array, nextPageToken: string): ListResponse {
  const message = create(ListResponseSchema);
  const unknown: NonNullable<ListResponse['$unknown']> = [];
  if (items.byteLength > 0) {
    if (!itemsTag.every((byte, index) => items[index] === byte)) {
      throw new Error(
        'encodedListResponse was given bytes that do not start with a ListResponse.items field',
      );
    }
    unknown.push({
      no: listItemsField,
      wireType: WireType.LengthDelimited,
      data: items.subarray(itemsTag.byteLength),
    });
  }
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
