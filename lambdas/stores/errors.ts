/** DynamoDB kept returning unprocessed items after every retry: the caller retries the record. */
export class UnprocessedItemsError extends Error {
  constructor(
    readonly table: string,
    readonly count: number,
  ) {
    super(`${count} items to ${table} stayed unprocessed after retries`);
    this.name = 'UnprocessedItemsError';
  }
}
